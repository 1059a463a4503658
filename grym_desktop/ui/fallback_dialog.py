"""Edit the transcription fallback chain: the models tried, in order, when the chosen one fails."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
)

from grym_desktop.models.catalog import DEFAULT_MODEL
from grym_desktop.settings import Settings


class FallbackDialog(QDialog):
    """An ordered list of model ids; the bundled default always closes the chain."""

    def __init__(self, settings: Settings, models: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Fallback chain"))
        self.settings = settings
        self.chain = QListWidget()
        self.chain.setAccessibleName(self.tr("Fallback chain"))
        self.chain.addItems(settings.fallback_chains.get("transcribe", []))
        self.choice = QComboBox()
        self.choice.setAccessibleName(self.tr("Model to add"))
        self.choice.addItems(models)
        add = QPushButton(self.tr("Add"))
        add.clicked.connect(lambda: self.chain.addItem(self.choice.currentText()))
        remove = QPushButton(self.tr("Remove"))
        remove.clicked.connect(lambda: self.chain.takeItem(self.chain.currentRow()))
        up = QPushButton(self.tr("Up"))
        up.clicked.connect(lambda: self._move(-1))
        down = QPushButton(self.tr("Down"))
        down.clicked.connect(lambda: self._move(1))
        row = QHBoxLayout()
        for widget in (self.choice, add, remove, up, down):
            row.addWidget(widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                self.tr(
                    "When the chosen model is refused for memory, fails to load or is stopped, "
                    "these are tried in order; {model} is always last."
                ).format(model=DEFAULT_MODEL)
            )
        )
        layout.addWidget(self.chain)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def _move(self, step: int) -> None:
        row = self.chain.currentRow()
        if 0 <= row + step < self.chain.count():
            self.chain.insertItem(row + step, self.chain.takeItem(row))
            self.chain.setCurrentRow(row + step)

    def edited(self) -> Settings:
        """The settings with the chain as shown."""
        chain = [self.chain.item(i).text() for i in range(self.chain.count())]
        chains = {**self.settings.fallback_chains, "transcribe": list(dict.fromkeys(chain))}
        return Settings(fallback_chains=chains)
