"""A small widget toolkit: a View tree with Android class names, layout, hit testing and XML.

Apps rebuild their tree from plain state whenever the screen changes (state lives in dicts so a
snapshot is a deepcopy); the tree itself is a cheap, throwaway object that knows its bounds.
Everything a uiautomator dump shows (class, text, resource-id, content-desc, flags, bounds) is a
field on `View`; `render.py` draws the same tree, so the XML bounds are exactly the drawn boxes.
"""

from mobile_agent.sim.ui_base import (  # the toolkit, in one namespace for the apps
    Box,
    Color,
    FrameLayout,
    GridView,
    Handler,
    LinearLayout,
    Rect,
    RecyclerView,
    ScrollView,
    View,
    intersect,
    is_empty,
    place_in_frame,
)
from mobile_agent.sim.ui_tree import find, hierarchy_xml, hit, node_xml, quoteattr, scroll_target
from mobile_agent.sim.ui_widgets import (
    AppIcon,
    Button,
    CheckBox,
    Divider,
    EditText,
    ImageView,
    Scrim,
    SeekBar,
    Spacer,
    Switch,
    TextView,
)

__all__ = [
    "AppIcon",
    "Box",
    "Button",
    "CheckBox",
    "Color",
    "Divider",
    "EditText",
    "FrameLayout",
    "GridView",
    "Handler",
    "ImageView",
    "LinearLayout",
    "Rect",
    "RecyclerView",
    "Scrim",
    "ScrollView",
    "SeekBar",
    "Spacer",
    "Switch",
    "TextView",
    "View",
    "find",
    "hierarchy_xml",
    "hit",
    "intersect",
    "is_empty",
    "node_xml",
    "place_in_frame",
    "quoteattr",
    "scroll_target",
]
