"""Fill msgstr entries of locale/zh_Hans/LC_MESSAGES/django.po from a JSON dictionary.

Usage: python scripts/fill_translations.py scripts/translations_zh.json
Existing translations are kept unless the dictionary gives a different one; entries the
dictionary lacks are listed so nothing ships untranslated by accident.
"""

import json
import sys
from pathlib import Path

import polib

PO_PATH = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def main(dictionary_path: str) -> int:
    table = json.loads(Path(dictionary_path).read_text(encoding="utf-8"))
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
        elif not entry.msgstr:
            missing.append(entry.msgid)
        if "fuzzy" in entry.flags and wanted:
            entry.flags.remove("fuzzy")
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
