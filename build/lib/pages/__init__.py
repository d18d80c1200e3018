"""Page objects, one module per console; importing this package registers every action."""

from pages import geotrust, mail, pm, portal, symantec

__all__ = ["geotrust", "mail", "pm", "portal", "symantec"]
