"""Settings for the contact-centre training system.

Everything environment-specific comes from environment variables through config.env.
With no variables at all the project runs on the embedded default: a SQLite file, Celery
tasks executed eagerly, an in-process cache. DEBUG is off unless DEBUG=1 is set (`make run`,
`make test` and the other Makefile targets set it), so a production process that forgets a
variable never runs in debug mode.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)


def _development_secret_key(path: Path) -> str:
    """One generated key shared by every development process (runserver, gunicorn workers,
    Celery), kept in a git-ignored file: a key per process would break sessions at random."""
    try:
        with open(path, "x", encoding="utf-8") as new_file:  # exclusive create: one writer wins
            new_file.write("dev-insecure-" + get_random_secret_key())
    except FileExistsError:
        pass
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development)."
        )
    SECRET_KEY = _development_secret_key(
        Path(env_str("DEV_SECRET_KEY_FILE", str(BASE_DIR / ".dev-secret-key")))
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "allauth",
    "allauth.account",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "treebeard",
    "import_export",
    "django_htmx",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",  # imports each app's rules.py (object-level rules)
    # project
    "accounts",
    "competency",
    "curriculum",
    "casebase",
    "knowledgebase",
    "review",
    "promotion",
    "points",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The product's language unless the person chose another (not the browser's): config/language.py
    "config.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A write by the employee makes their cached home panel stale (accounts/dashboard_csr.py).
    "accounts.dashboard_csr.OwnWritesMiddleware",
    # A recording upload above the size limit is refused by its Content-Length (413).
    "casebase.middleware.UploadSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A domain error no web view handled is a 400/409 page with its message, never a 500.
    "config.errors.AppErrorMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
            "libraries": {"choices": "config.template_filters", "diffs": "config.diffs"},
        },
    },
]

# Text inputs and selects are written in Python (config/widgets.py): the same markup as the
# templates, at a fraction of the CPU on the CSR pages.
FORM_RENDERER = "config.widgets.QuickWidgetRenderer"

WSGI_APPLICATION = "config.wsgi.application"

# --- database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- redis: cache, Celery broker -----------------------------------------------------
REDIS_URL = env_str("REDIS_URL") or None

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.PooledClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cct"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery (read by config/celery.py through the CELERY_ namespace). Without Redis the
# tasks run eagerly in-process so the embedded default needs no broker.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 14 * 60)
CELERY_RESULT_EXPIRES = 24 * 3600
# A message a killed worker held comes back after the visibility timeout: just above the hard
# time limit, so a crash delays a daily job by minutes, not an hour, while a task that is
# still running is never handed to a second worker. Tasks are idempotent either way; keep
# retry countdowns below it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_ENABLE_UTC = True

# --- auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # ModelBackend with permission sets in the cache
    "accounts.permission_cache.CachedPermissionsBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: staff ID (工号) + password; accounts are provisioned by HR, no sign-up.
ACCOUNT_ADAPTER = "accounts.adapters.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = "staff_id"
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    # A whole floor of CSRs shares one NAT address: strict per staff ID, loose per IP.
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "200/m/ip,5/5m/key"),
    "login": "300/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
ACCOUNT_FORMS = {
    "login": "accounts.forms.StaffLoginForm",
    # Reset by staff ID, mailed to that one account: e-mail addresses are not verified and
    # may be shared, so a reset "by e-mail" could reach somebody else's account.
    "reset_password": "accounts.forms.StaffPasswordResetForm",
}

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing or bad token a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.ObjectJSONParser",
        "config.parsers.LimitedFormParser",
        "config.parsers.LimitedMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One error shape for every API error (config/errors.py): {"detail", "code", "fields"?}.
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    # Per user, and per address for anonymous calls (a floor shares one NAT address).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_USER_RATE", "600/min"),
        "anon": env_str("API_ANON_RATE", "300/min"),
    },
}
# API tokens (django-rest-knox, see accounts/auth.py): hashed at rest, expire after a shift
# by default, refused after a password change or deactivation.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 12)
if not 1 <= API_TOKEN_TTL_HOURS <= 24 * 30:
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS must be between 1 and 720.")
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 5)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contact-centre training and promotion API",
    "DESCRIPTION": (
        "Competency model, curriculum, case libraries, knowledge base, points and promotion."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: call-centre networks often have no internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # The Error component on every operation's 4xx answers (config/errors.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.errors.error_responses_hook",
    ],
}

# --- i18n -----------------------------------------------------------------------------
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The product's language; a person's choice in the language switch overrides it (cookie).
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}.")
# Off: the browser's Accept-Language is ignored on pages (an agent's browser is often English
# where the centre works in Chinese); the API honours it either way.
LANGUAGE_FOLLOWS_BROWSER = env_bool("LANGUAGE_FOLLOWS_BROWSER", False)
# A year: the choice outlives the session (Django's default cookie ends with the browser).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Case recordings (casebase.models.recordings_storage): the file system under MEDIA_ROOT
# (default), or S3-compatible object storage with RECORDINGS_STORAGE=s3 (django-storages,
# installed with `pip install -e .[s3]`; AWS_* variables below). They are never served from
# /media/: casebase.views.recording checks who may hear one and answers with an
# X-Accel-Redirect to RECORDINGS_ACCEL_REDIRECT_PREFIX + the file's name (nginx serves an
# `internal` location), a file response when the prefix is empty (development), or a redirect
# to a presigned URL valid RECORDINGS_URL_SECONDS with S3.
RECORDINGS_STORAGE = env_str("RECORDINGS_STORAGE", "filesystem")
if RECORDINGS_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured("RECORDINGS_STORAGE must be 'filesystem' or 's3'.")
RECORDINGS_ACCEL_REDIRECT_PREFIX = env_str("RECORDINGS_ACCEL_REDIRECT_PREFIX", "")
RECORDINGS_URL_SECONDS = env_int("RECORDINGS_URL_SECONDS", 300)
# How long the KB search page and API reuse a result (knowledgebase.search.search_outcome_cached;
# any change to the knowledge base makes it stale at once). 0 turns the cache off.
KB_SEARCH_CACHE_SECONDS = env_int("KB_SEARCH_CACHE_SECONDS", 60)
# The orphan sweep leaves files younger than this alone (an upload whose proposal is being written).
RECORDINGS_ORPHAN_GRACE_HOURS = env_int("RECORDINGS_ORPHAN_GRACE_HOURS", 24)
if RECORDINGS_STORAGE == "s3":
    _recordings_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": RECORDINGS_URL_SECONDS,
            "file_overwrite": False,
        },
    }
    if not _recordings_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("RECORDINGS_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
else:
    _recordings_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Request bodies: form fields above DATA_UPLOAD_MAX_MEMORY_SIZE are refused; uploaded files
# above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file instead of memory. Recording
# uploads bigger than CaseLibrarySettings.audio_max_bytes (+ 1 MB for the form) are refused
# by their Content-Length before the body is read (casebase.middleware.UploadSizeLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 10)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "recordings": _recordings_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- e-mail (password reset) ----------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "training@localhost")

# --- security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache (Redis in production) and written through to the
# database, so a page does not query the session table; nothing is lost when Redis restarts.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Trust X-Forwarded-Proto only when a TLS proxy in front sets it: otherwise any client
    # could claim to be on HTTPS.
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): scripts, styles, images and media from this origin
# only — no inline <script>, <style> or style="" (they live in static files; data-driven
# colours come from /styles/levels.css). Swagger UI is served from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
