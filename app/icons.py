"""The category icons: a tiny inline SVG set shipped with the app.

Emoji depend on the phone's fonts (old phones and headless browsers show empty boxes);
these render everywhere, offline, at any text size. `Category.icon` holds the icon's name.
"""

from __future__ import annotations

from markupsafe import Markup

# 24 x 24, drawn with the current text colour (strokes unless the shape says otherwise)
ICONS: dict[str, str] = {
    "toilet": '<g fill="currentColor" stroke="none"><circle cx="7" cy="4" r="2"/>'
              '<circle cx="17" cy="4" r="2"/><path d="M5 7h4l1 8H8v6H6v-6H4z"/>'
              '<path d="M15 7h4l2.5 9H19v5h-4v-5h-2.5z"/></g>',
    "noise": '<path d="M4 9h4l5-4v14l-5-4H4z"/>'
             '<path d="M16.5 9a4 4 0 0 1 0 6M19 6a8 8 0 0 1 0 12"/>',
    "tools": '<path d="M14 3a5 5 0 0 0-4.3 7.3L3 17l4 4 6.7-6.7A5 5 0 0 0 21 10l-3.5 1.5-3-3L16 5'
             'a5 5 0 0 0-2-2z"/>',
    "warning": '<path d="M12 3 2 21h20z"/><path d="M12 10v5M12 18v.01"/>',
    "tree": '<path d="M12 2 5 12h4l-3 5h12l-3-5h4z"/><path d="M12 17v5"/>',
    "person": '<circle cx="12" cy="7" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>',
    "bulb": '<path d="M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.7.7 1 1.5 1 2.5h6c0-1 .3-1.8 1-2.5'
            'A6 6 0 0 0 12 3z"/>',
    "thumbs-up": '<path d="M7 10v11H3V10zM7 10l4-8a2 2 0 0 1 3 2l-1 5h6a2 2 0 0 1 2 2.3l-1.4 8'
                 'A2 2 0 0 1 17.6 21H7"/>',
    "mail": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>',
    "dot": '<circle cx="12" cy="12" r="4"/>',
    "mic": '<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v4'
           'M8 22h8"/>',
}
# what the first demo data stored before the icon set (still in existing databases)
EMOJI = {"🚻": "toilet", "🔊": "noise", "🛠": "tools", "⚠": "warning", "🌳": "tree",
         "🙋": "person", "💡": "bulb", "👍": "thumbs-up", "✉": "mail"}
SVG_OPEN = ('<svg class="icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" '
            'focusable="false" fill="none" stroke="currentColor" stroke-width="2" '
            'stroke-linecap="round" stroke-linejoin="round">')


def icon_name(name: str | None) -> str:
    """The icon set's name for a category's icon (old emoji values included)."""
    name = (name or "").strip()
    name = EMOJI.get(name, EMOJI.get(name.rstrip("\ufe0f"), name))
    return name if name in ICONS else "dot"


def icon(name: str | None) -> Markup:
    """An icon as inline SVG, hidden from screen readers (the text next to it says it)."""
    return Markup(SVG_OPEN + ICONS[icon_name(name)] + "</svg>")  # noqa: S704 - our own constant markup


def icon_sprite() -> Markup:
    """Every icon as a <symbol>, for scripts that draw rows (<svg><use href="#icon-NAME">)."""
    symbols = "".join(f'<symbol id="icon-{name}" viewBox="0 0 24 24">{shape}</symbol>'
                      for name, shape in ICONS.items())
    return Markup(f'<svg class="sprite" aria-hidden="true" focusable="false">{symbols}</svg>')  # noqa: S704
