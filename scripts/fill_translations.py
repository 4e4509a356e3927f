"""Fill msgstr entries of locale/zh_Hans/LC_MESSAGES/django.po from the JSON dictionaries
in locale/translations/ (one file per app: {"English msgid": "中文"}).

Usage: python scripts/fill_translations.py        (run by `make messages`)
Existing translations are kept unless a dictionary gives a different one; entries no
dictionary has are listed and the exit status is 1, so nothing ships untranslated.
"""

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
DICTIONARIES = ROOT / "locale/translations"


def main() -> int:
    table: dict[str, str] = {}
    for path in sorted(DICTIONARIES.glob("*.json")):
        table.update(json.loads(path.read_text(encoding="utf-8")))
    po = polib.pofile(str(PO_PATH))
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    missing = []
    for entry in po:
        wanted = table.get(entry.msgid)
        if entry.msgid_plural:
            if wanted:
                entry.msgstr_plural = {0: wanted}
            elif not entry.msgstr_plural.get(0):
                missing.append(entry.msgid)
        elif wanted:
            entry.msgstr = wanted
        elif not entry.msgstr or "fuzzy" in entry.flags:
            # A fuzzy entry is makemessages guessing from a changed msgid; compilemessages
            # skips it, so the page would show English: it needs a dictionary entry too.
            missing.append(entry.msgid)
        if "fuzzy" in entry.flags and wanted:
            entry.flags.remove("fuzzy")
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
