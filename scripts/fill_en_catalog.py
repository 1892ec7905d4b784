"""Make the English catalog complete: the source strings are English, so msgstr = msgid."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "app/translations/en/LC_MESSAGES/messages.po"


def main() -> int:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):  # plural: (singular, plural), English has both forms
            if not all(message.string):
                message.string = message.id
        elif not message.string:
            message.string = message.id
    with CATALOG.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    untranslated = [
        m.id for m in read_po((Path(__file__).resolve().parent.parent /
                               "app/translations/zh/LC_MESSAGES/messages.po").open("rb"))
        if m.id and not m.string
    ]
    for message_id in untranslated:
        print(f"zh: untranslated: {message_id!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
