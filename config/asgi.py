import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# As config/wsgi.py: the search tokenizers are loaded at start, not in a request.
from knowledgebase.search import warm_up  # noqa: E402 (needs the settings configured above)

warm_up()

# Then the URL configuration, and everything loaded so far out of the garbage collector's
# way (config/process.py).
from config.process import settle_web_process  # noqa: E402

settle_web_process()
