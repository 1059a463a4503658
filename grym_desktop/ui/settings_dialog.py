"""The Settings dialog: the choices the command line offers, kept in QSettings.

Memory limit, how files are transcribed (language, translate, VAD, beam size, precision),
the microphone and the export folder. The window reads them back with transcribe_choices().
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from grym_desktop.errors import GrymError, UsageError
from grym_desktop.memory.limits import format_size, parse_size
from grym_desktop.options import DecodeOptions
from grym_desktop.orchestrator.speakers import SpeakerCount
from grym_desktop.ui.translation import INTERFACE_LANGUAGES, saved_language
from grym_desktop.ui.translation import SETTING as LANGUAGE_SETTING
from grym_desktop.ui.widgets import dialog_bottom

# Languages offered first; any other Whisper code can be typed.
LANGUAGES = ("", "en", "de", "fr", "es", "it", "nl", "pt", "pl", "ru", "ja", "zh")
PRECISIONS = ("", "float32", "int8")  # "" chooses by memory
SPEAKER_CHOICES = ((QT_TRANSLATE_NOOP("SettingsDialog", "off"), ""),
                   (QT_TRANSLATE_NOOP("SettingsDialog", "find them (automatic count)"), "auto"),
                   *((f"{n} speakers", str(n)) for n in range(2, 7)))
DEFAULT_BEAM = 5


@dataclass
class TranscribeChoices:
    """What the Settings say about transcribing a file."""

    options: DecodeOptions
    precision: str | None  # None: chosen by memory
    speakers: SpeakerCount | None = None  # None: no diarization


def transcribe_choices(settings: QSettings) -> TranscribeChoices:
    """The decoding options and precision the user chose in Settings (defaults otherwise)."""
    language = str(settings.value("transcribe/language", "") or "") or None
    translate = _bool(settings.value("transcribe/translate", False))
    options = DecodeOptions(
        language=language, task="translate" if translate else "transcribe",
        beam_size=int(settings.value("transcribe/beam_size", DEFAULT_BEAM) or DEFAULT_BEAM),
        vad_filter=_bool(settings.value("transcribe/vad", False)),
        early_segments=_bool(settings.value("transcribe/early_segments", True)),
    )
    precision = str(settings.value("transcribe/precision", "") or "") or None
    try:
        speakers = SpeakerCount.parse(str(settings.value("transcribe/speakers", "") or ""))
    except UsageError:  # a hand-edited settings file: no diarization rather than a failure
        speakers = None
    return TranscribeChoices(options, precision, speakers)


def _bool(value: object) -> bool:
    """QSettings gives booleans back as "true"/"false" strings from its ini files."""
    return value is True or str(value).lower() == "true"


class SettingsDialog(QDialog):
    """Edits the settings; OK writes them (a bad memory limit keeps the dialog open)."""

    def __init__(self, settings: QSettings, devices: list[str], current_limit: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self.limit_bytes = current_limit  # the limit the user chose, once accepted
        s = settings

        self.limit_edit = QLineEdit(str(s.value("memory_limit", "") or format_size(current_limit)))
        self.limit_edit.setAccessibleName(self.tr("Memory limit"))
        self.limit_edit.setToolTip(
            self.tr(
                "The most memory the app (window and model host together) "
                "may use, e.g. 8GiB or 1500MiB. The watchdog enforces it."
            )
        )
        self.language_box = QComboBox()
        self.language_box.setAccessibleName(self.tr("Language"))
        self.language_box.setEditable(True)
        for code in LANGUAGES:
            self.language_box.addItem(code or self.tr("detect automatically"), code)
        language = str(s.value("transcribe/language", "") or "")
        self._select(self.language_box, language)
        self.translate_box = QCheckBox(self.tr("Translate into English"))
        self.translate_box.setChecked(_bool(s.value("transcribe/translate", False)))
        self.vad_box = QCheckBox(self.tr("Decode only the stretches where speech is heard (VAD)"))
        self.vad_box.setChecked(_bool(s.value("transcribe/vad", False)))
        self.early_box = QCheckBox(self.tr("Show the text of short files while it is decoded "
                                   "(about half as long again)"))
        self.early_box.setToolTip(self.tr("A file under 30 s is decoded piece by piece, cut in its "
                                  "pauses, so its first sentences appear before the rest."))
        self.early_box.setChecked(_bool(s.value("transcribe/early_segments", True)))
        self.beam_spin = QSpinBox()
        self.beam_spin.setAccessibleName(self.tr("Beam size"))
        self.beam_spin.setRange(1, 10)
        self.beam_spin.setValue(int(s.value("transcribe/beam_size", DEFAULT_BEAM) or DEFAULT_BEAM))
        self.precision_box = QComboBox()
        self.precision_box.setAccessibleName(self.tr("Precision"))
        for precision in PRECISIONS:
            self.precision_box.addItem(
                precision or self.tr("by memory (int8 when memory is tight)"), precision
            )
        self._select(self.precision_box, str(s.value("transcribe/precision", "") or ""))
        self.speakers_box = QComboBox()
        self.speakers_box.setAccessibleName(self.tr("Speakers"))
        self.speakers_box.setToolTip(
            self.tr(
                "After transcribing, find who spoke when (one model at a "
                "time: the speaker encoder takes the speech model's place)"
            )
        )
        for text, value in SPEAKER_CHOICES:
            shown = self.tr("{n} speakers").format(n=value) if value.isdigit() else self.tr(text)
            self.speakers_box.addItem(shown, value)
        self._select(self.speakers_box, str(s.value("transcribe/speakers", "") or ""))
        self.device_box = QComboBox()
        self.device_box.setAccessibleName(self.tr("Microphone"))
        self.device_box.addItem(self.tr("system default"), "")
        for name in devices:
            self.device_box.addItem(name, name)
        self._select(self.device_box, str(s.value("live/device", "") or ""))
        self.folder_edit = QLineEdit(str(s.value("export_dir", "") or ""))
        self.folder_edit.setAccessibleName(self.tr("Export folder"))
        self.folder_edit.setPlaceholderText(self.tr("beside the audio file"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        # The interface language: read once at start (ui/app.py installs its translator).
        self.interface_box = QComboBox()
        self.interface_box.setAccessibleName(self.tr("Interface language"))
        for value, name in INTERFACE_LANGUAGES:
            self.interface_box.addItem(self.tr(name) if value == "system" else name, value)
        self._select(self.interface_box, saved_language(s))
        self.interface_box.setToolTip(self.tr("The language of menus, buttons and messages; "
                                              "it applies the next time the app starts."))
        interface_note = QLabel(self.tr("Applies at the next start."))
        interface_row = QHBoxLayout()
        interface_row.addWidget(self.interface_box, 1)
        interface_row.addWidget(interface_note)

        form = QFormLayout()
        form.addRow(self.tr("Memory limit"), self.limit_edit)
        form.addRow(self.tr("Language"), self.language_box)
        form.addRow("", self.translate_box)
        form.addRow("", self.vad_box)
        form.addRow("", self.early_box)
        form.addRow(self.tr("Beam size"), self.beam_spin)
        form.addRow(self.tr("Precision"), self.precision_box)
        form.addRow(self.tr("Speakers"), self.speakers_box)
        form.addRow(self.tr("Microphone"), self.device_box)
        form.addRow(self.tr("Export folder"), folder_row)
        form.addRow(self.tr("Interface language"), interface_row)
        self.error_label, buttons = dialog_bottom(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def accept(self) -> None:
        """Check the memory limit, then write every setting."""
        try:
            limit = parse_size(self.limit_edit.text())
        except (GrymError, ValueError) as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        s = self.settings
        s.setValue("memory_limit", self.limit_edit.text().strip())
        s.setValue("transcribe/language", self._chosen(self.language_box))
        s.setValue("transcribe/translate", self.translate_box.isChecked())
        s.setValue("transcribe/vad", self.vad_box.isChecked())
        s.setValue("transcribe/early_segments", self.early_box.isChecked())
        s.setValue("transcribe/beam_size", self.beam_spin.value())
        s.setValue("transcribe/precision", self.precision_box.currentData() or "")
        s.setValue("transcribe/speakers", self.speakers_box.currentData() or "")
        s.setValue("live/device", self.device_box.currentData() or "")
        s.setValue("export_dir", self.folder_edit.text().strip())
        s.setValue(LANGUAGE_SETTING, self.interface_box.currentData() or "system")
        s.sync()
        self.limit_bytes = limit
        super().accept()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Export folder"), self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)

    @staticmethod
    def _select(box: QComboBox, value: str) -> None:
        index = box.findData(value)
        if index >= 0:
            box.setCurrentIndex(index)
        elif box.isEditable():
            box.setEditText(value)

    @staticmethod
    def _chosen(box: QComboBox) -> str:
        """The language code: the chosen item's, or what the user typed."""
        if box.currentIndex() >= 0 and box.itemText(box.currentIndex()) == box.currentText():
            return str(box.currentData() or "")
        return box.currentText().strip()
