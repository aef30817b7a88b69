"""The target-language list: shipped data with its source and date, loadable, overridable."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import realtime_kit
from realtime_kit.errors import ConfigurationError, UnsupportedLanguageError
from realtime_kit.translator import TRANSLATION_LANGUAGES, Language, LanguageList


def test_the_shipped_list_says_where_it_comes_from_and_that_it_is_unofficial() -> None:
    shipped = LanguageList.default()
    assert shipped.status == "unofficial"
    assert shipped.retrieved == date(2026, 12, 4)
    assert "openai-cookbook" in shipped.source
    assert shipped.codes == TRANSLATION_LANGUAGES
    assert len(shipped) == 13
    assert shipped.get("zh") == Language("zh", "Chinese")
    assert "ES" in shipped
    assert "xx" not in shipped
    text = (Path(realtime_kit.translator.__file__).parent / "languages.toml").read_text("utf-8")
    assert "PROTOCOL.md section 11" in text  # the file itself says the list is not official


def test_resolve_normalizes_and_refuses_unknown_codes() -> None:
    shipped = LanguageList.default()
    assert shipped.resolve(" Pt ") == "pt"
    with pytest.raises(UnsupportedLanguageError) as info:
        shipped.resolve("pt-br")
    assert info.value.supported == shipped.codes
    assert shipped.resolve("pt-br", allow_unknown=True) == "pt-br"
    for bad in ("", "english", "e", 7):
        with pytest.raises(ConfigurationError):
            shipped.resolve(bad)


def test_a_list_file_in_toml_or_json(tmp_path: Path) -> None:
    toml = tmp_path / "langs.toml"
    toml.write_text(
        'format = "realtime_kit.translation_languages/1"\n'
        'source = "https://example.test/langs"\nretrieved = 2027-01-02\nstatus = "official"\n'
        '[[languages]]\ncode = "nl"\nname = "Dutch"\n[[languages]]\ncode = "sv"\n',
        encoding="utf-8",
    )
    loaded = LanguageList.load(toml)
    assert loaded.codes == ("nl", "sv")
    assert loaded.describe() == "https://example.test/langs (official, retrieved 2027-01-02)"
    as_json = tmp_path / "langs.json"
    as_json.write_text(json.dumps({"languages": [{"code": "PL"}], "retrieved": "2027-01-02"}))
    assert LanguageList.load(as_json).codes == ("pl",)
    translator = realtime_kit.Translator("nl", languages=str(toml), api_key="sk-test")
    assert translator.languages == ("nl",)
    with pytest.raises(UnsupportedLanguageError, match=r"example\.test"):
        realtime_kit.Translator("es", languages=str(toml), api_key="sk-test")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[languages]]\n", "needs a 'code'"),
        ("languages = []\n", "non-empty list"),
        ('other = 1\n[[languages]]\ncode = "es"\n', "unknown keys"),
        ('format = "x"\n[[languages]]\ncode = "es"\n', "format must be"),
        ('retrieved = "soon"\n[[languages]]\ncode = "es"\n', "YYYY-MM-DD"),
        ('[[languages]]\ncode = "es"\n[[languages]]\ncode = "es"\n', "duplicate"),
        ("not toml [", "not valid"),
    ],
)
def test_bad_list_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        LanguageList.load(path)
    with pytest.raises(ConfigurationError, match="cannot read"):
        LanguageList.load(tmp_path / "missing.toml")


def test_the_package_root_exports_the_translator() -> None:
    assert realtime_kit.Translator is realtime_kit.translator.Translator
    assert realtime_kit.Translation is realtime_kit.translator.Translation
    assert realtime_kit.translate_file is realtime_kit.translator.translate_file
    assert realtime_kit.errors.UnsupportedLanguageError.__mro__[1] is ConfigurationError
