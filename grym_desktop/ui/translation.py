"""The interface language: install the translator the Settings chose (QSettings "language").

The translations are compiled Qt .qm files in grym_desktop.resources/translations
(packaging/update_translations.sh refreshes them from the code). Sentences that come from the
core (errors, plan reasons) have no Qt there and stay English.
"""

from __future__ import annotations

from importlib.resources import as_file, files

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QSettings,
    QTranslator,
)

# The choices Settings ▸ Interface language offers: (stored value, what the list shows).
# A language's own name is shown in that language, so it is not translated.
INTERFACE_LANGUAGES = (
    ("system", QT_TRANSLATE_NOOP("SettingsDialog", "System language")),
    ("en", "English"),
    ("de", "Deutsch"),
)
TRANSLATED = ("de",)  # the languages a .qm file is shipped for (English is the source)
SETTING = "language"


def resolve_language(language: str) -> str:
    """"system" becomes the system's language when it has a translation, else "en"."""
    if language == "system":
        for name in QLocale.system().uiLanguages():
            code = name.replace("_", "-").split("-")[0].lower()
            if code in TRANSLATED or code == "en":
                return code
        return "en"
    return language if language in TRANSLATED else "en"


def install_translator(app: QCoreApplication, language: str = "system") -> QTranslator | None:
    """Load the .qm for language ("system", "en" or "de") into app; None for English.

    Qt's own words (OK, Cancel, Yes, No in dialogs) come from Qt's qtbase_<code>.qm when
    it is there; it is installed with the app's and removed with it (remove_translator).
    The translators are parented to app so they live as long as it does.
    """
    code = resolve_language(language)
    if code == "en":
        return None
    translator = QTranslator(app)
    resource = files("grym_desktop.resources") / "translations" / f"grym_desktop_{code}.qm"
    with as_file(resource) as path:
        if not path.is_file() or not translator.load(str(path)):
            return None
    qt_words = QTranslator(translator)
    if qt_words.load(f"qtbase_{code}",
                     QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_words)
    app.installTranslator(translator)
    return translator


def remove_translator(app: QCoreApplication, translator: QTranslator) -> None:
    """Undo install_translator: the app's translator and Qt's own words go."""
    for qt_words in translator.findChildren(QTranslator):
        app.removeTranslator(qt_words)
    app.removeTranslator(translator)


def saved_language(settings: QSettings) -> str:
    """The interface language stored by Settings ("system" when none was chosen)."""
    value = str(settings.value(SETTING, "system") or "system")
    return value if value in dict(INTERFACE_LANGUAGES) else "system"
