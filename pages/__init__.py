"""Page objects, one module per console; importing this package registers every action."""

from pages import geotrust, mail, pm, portal, symantec
from pages.base import ACTIONS

__all__ = ["ACTIONS", "geotrust", "mail", "pm", "portal", "symantec"]
