from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# The embedded default is for one machine: cookies must work over plain http.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
