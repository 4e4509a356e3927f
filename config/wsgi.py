import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Load the search tokenizers at start, not in the first request that needs them (a deciding
# vote, a KB edit or search would otherwise wait 1–3 s for them): knowledgebase.search.warm_up.
from knowledgebase.search import warm_up  # noqa: E402 (needs the settings configured above)

warm_up()

# Then the URL configuration, and everything loaded so far out of the garbage collector's
# way (config/process.py).
from config.process import settle_web_process  # noqa: E402

settle_web_process()
