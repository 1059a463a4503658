<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>App</name>
    <message>
        <source>Cleared the window&apos;s settings in {path}.</source>
        <translation>Die Fenstereinstellungen in {path} wurden gelöscht.</translation>
    </message>
    <message>
        <source>Removed the core settings (fallback models) {path}.</source>
        <translation>Die Kerneinstellungen (Ersatzmodelle) {path} wurden entfernt.</translation>
    </message>
    <message>
        <source>There were no core settings at {path}.</source>
        <translation>Unter {path} gab es keine Kerneinstellungen.</translation>
    </message>
    <message>
        <source>The library and the models are kept; the welcome screen shows again at the next start.</source>
        <translation>Bibliothek und Modelle bleiben erhalten; der Willkommensbildschirm erscheint beim nächsten Start erneut.</translation>
    </message>
</context>
<context>
    <name>AskPanel</name>
    <message>
        <source>Best that fits</source>
        <translation>Bestes passendes</translation>
    </message>
    <message>
        <source>What is happening here?</source>
        <translation>Was passiert hier?</translation>
    </message>
    <message>
        <source>Summarise this recording.</source>
        <translation>Fasse diese Aufnahme zusammen.</translation>
    </message>
    <message>
        <source>Is there music?</source>
        <translation>Gibt es Musik?</translation>
    </message>
    <message>
        <source>What did they decide?</source>
        <translation>Was wurde entschieden?</translation>
    </message>
    <message>
        <source>No recording selected</source>
        <translation>Keine Aufnahme ausgewählt</translation>
    </message>
    <message>
        <source>Model that answers</source>
        <translation>Antwortendes Modell</translation>
    </message>
    <message>
        <source>The model that answers; “Best that fits” takes the largest one that fits in the memory limit.</source>
        <translation>Das Modell, das antwortet; „Bestes passendes“ nimmt das größte, das in das Speicherlimit passt.</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>No model loaded yet.</source>
        <translation>Noch kein Modell geladen.</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>Frage</translation>
    </message>
    <message>
        <source>Ask about this recording…</source>
        <translation>Eine Frage zu dieser Aufnahme…</translation>
    </message>
    <message>
        <source>Ask “{example}”</source>
        <translation>„{example}“ fragen</translation>
    </message>
    <message>
        <source>Include the transcript</source>
        <translation>Transkript mitgeben</translation>
    </message>
    <message>
        <source>Ask</source>
        <translation>Fragen</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stopp</translation>
    </message>
    <message>
        <source>Stop the answer where it is</source>
        <translation>Die Antwort an dieser Stelle beenden</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Antwort</translation>
    </message>
    <message>
        <source>Ask a question: the answer appears here as the model writes it.</source>
        <translation>Stellen Sie eine Frage: Die Antwort erscheint hier, während das Modell sie schreibt.</translation>
    </message>
    <message>
        <source>No earlier answers for this recording.</source>
        <translation>Keine früheren Antworten zu dieser Aufnahme.</translation>
    </message>
    <message>
        <source>Earlier answers</source>
        <translation>Frühere Antworten</translation>
    </message>
    <message>
        <source>Give the model the transcript, with times and speakers, next to the audio, so answers can cite times.</source>
        <translation>Dem Modell neben dem Audio das Transkript mit Zeiten und Sprechern geben, damit Antworten Zeiten nennen können.</translation>
    </message>
    <message>
        <source>This recording has no transcript yet.</source>
        <translation>Diese Aufnahme hat noch kein Transkript.</translation>
    </message>
    <message>
        <source>Earlier answers ({count})</source>
        <translation>Frühere Antworten ({count})</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>Wird beendet…</translation>
    </message>
    <message>
        <source>An answer is being written; Stop ends it.</source>
        <translation>Eine Antwort wird geschrieben; Stopp beendet sie.</translation>
    </message>
    <message>
        <source>Select a recording first.</source>
        <translation>Wählen Sie zuerst eine Aufnahme aus.</translation>
    </message>
    <message>
        <source>Type a question or pick an example first.</source>
        <translation>Geben Sie zuerst eine Frage ein oder wählen Sie ein Beispiel.</translation>
    </message>
    <message>
        <source>Ask the model about this recording (Ctrl+Enter)</source>
        <translation>Das Modell zu dieser Aufnahme fragen (Strg+Eingabe)</translation>
    </message>
    <message>
        <source>&lt;i&gt;(no answer)&lt;/i&gt;</source>
        <translation>&lt;i&gt;(keine Antwort)&lt;/i&gt;</translation>
    </message>
</context>
<context>
    <name>AskRunner</name>
    <message>
        <source>{model} · {precision} · about {estimate}</source>
        <translation>{model} · {precision} · etwa {estimate}</translation>
    </message>
    <message>
        <source>Stopped before it began.</source>
        <translation>Beendet, bevor es begann.</translation>
    </message>
    <message>
        <source>Stopped; the answer is as far as it got.</source>
        <translation>Beendet; die Antwort ist so weit, wie sie gekommen ist.</translation>
    </message>
</context>
<context>
    <name>CompareChart</name>
    <message>
        <source>WER %</source>
        <translation>WER %</translation>
    </message>
    <message>
        <source>Mean word error rate (%)</source>
        <translation>Mittlere Wortfehlerrate (%)</translation>
    </message>
    <message>
        <source>RTF</source>
        <translation>RTF</translation>
    </message>
    <message>
        <source>Real-time factor: seconds of work per second of audio</source>
        <translation>Echtzeitfaktor: Sekunden Arbeit pro Sekunde Audio</translation>
    </message>
    <message>
        <source>Peak MiB</source>
        <translation>Spitze MiB</translation>
    </message>
    <message>
        <source>Peak memory of the model host (MiB)</source>
        <translation>Spitzenspeicher des Modell-Hosts (MiB)</translation>
    </message>
    <message>
        <source>Bars of model A and model B</source>
        <translation>Balken von Modell A und Modell B</translation>
    </message>
    <message>
        <source>n/a</source>
        <translation>k. A.</translation>
    </message>
</context>
<context>
    <name>CompareRunner</name>
    <message>
        <source>Resuming comparison {id} with what it kept.</source>
        <translation>Vergleich {id} wird mit dem Gespeicherten fortgesetzt.</translation>
    </message>
    <message>
        <source>Stopped; the finished files are kept, and Run with the same models and files resumes the comparison.</source>
        <translation>Beendet; die fertigen Dateien bleiben erhalten, und Ausführen mit denselben Modellen und Dateien setzt den Vergleich fort.</translation>
    </message>
    <message>
        <source>Done; saved in the library as comparison {id}.</source>
        <translation>Fertig; in der Bibliothek als Vergleich {id} gespeichert.</translation>
    </message>
</context>
<context>
    <name>CompareWindow</name>
    <message>
        <source>File</source>
        <translation>Datei</translation>
    </message>
    <message>
        <source>WER A</source>
        <translation>WER A</translation>
    </message>
    <message>
        <source>WER B</source>
        <translation>WER B</translation>
    </message>
    <message>
        <source>B vs A</source>
        <translation>B gegen A</translation>
    </message>
    <message>
        <source>RTF A</source>
        <translation>RTF A</translation>
    </message>
    <message>
        <source>RTF B</source>
        <translation>RTF B</translation>
    </message>
    <message>
        <source>Peak A</source>
        <translation>Spitze A</translation>
    </message>
    <message>
        <source>Peak B</source>
        <translation>Spitze B</translation>
    </message>
    <message>
        <source>Winner</source>
        <translation>Sieger</translation>
    </message>
    <message>
        <source>Word error rate of model A against the reference.</source>
        <translation>Wortfehlerrate von Modell A gegenüber der Referenz.</translation>
    </message>
    <message>
        <source>Word error rate of model B against the reference.</source>
        <translation>Wortfehlerrate von Modell B gegenüber der Referenz.</translation>
    </message>
    <message>
        <source>B&apos;s words scored against A&apos;s: how much the two models disagree.</source>
        <translation>Die Wörter von B an denen von A gemessen: wie sehr die beiden Modelle voneinander abweichen.</translation>
    </message>
    <message>
        <source>Real-time factor of A: seconds of work per second of audio (lower is faster).</source>
        <translation>Echtzeitfaktor von A: Sekunden Arbeit pro Sekunde Audio (niedriger ist schneller).</translation>
    </message>
    <message>
        <source>Real-time factor of B: seconds of work per second of audio (lower is faster).</source>
        <translation>Echtzeitfaktor von B: Sekunden Arbeit pro Sekunde Audio (niedriger ist schneller).</translation>
    </message>
    <message>
        <source>The model host&apos;s highest memory (MiB) while A transcribed the file.</source>
        <translation>Der höchste Speicher des Modell-Hosts (MiB), während A die Datei transkribierte.</translation>
    </message>
    <message>
        <source>The model host&apos;s highest memory (MiB) while B transcribed the file.</source>
        <translation>Der höchste Speicher des Modell-Hosts (MiB), während B die Datei transkribierte.</translation>
    </message>
    <message>
        <source>The lower WER wins; with equal WER (or no reference), the faster.</source>
        <translation>Die niedrigere WER gewinnt; bei gleicher WER (oder ohne Referenz) das schnellere.</translation>
    </message>
    <message>
        <source>WER</source>
        <translation>WER</translation>
    </message>
    <message>
        <source>RTF</source>
        <translation>RTF</translation>
    </message>
    <message>
        <source>Peak memory</source>
        <translation>Spitzenspeicher</translation>
    </message>
    <message>
        <source>Load time</source>
        <translation>Ladezeit</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>abgelehnt</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>References (*.tsv *.txt);;All files (*)</source>
        <translation>Referenzen (*.tsv *.txt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>about {seconds} s left</source>
        <translation>noch etwa {seconds} s</translation>
    </message>
    <message>
        <source>about {minutes} min left</source>
        <translation>noch etwa {minutes} min</translation>
    </message>
    <message>
        <source>about {hours} h {minutes} min left</source>
        <translation>noch etwa {hours} h {minutes} min</translation>
    </message>
    <message>
        <source>Model {side} ({model})</source>
        <translation>Modell {side} ({model})</translation>
    </message>
    <message>
        <source>file {number} of {count}</source>
        <translation>Datei {number} von {count}</translation>
    </message>
    <message>
        <source>Not run yet.</source>
        <translation>Noch nicht ausgeführt.</translation>
    </message>
    <message>
        <source>Compare models</source>
        <translation>Modelle vergleichen</translation>
    </message>
    <message>
        <source>Model A</source>
        <translation>Modell A</translation>
    </message>
    <message>
        <source>Model B</source>
        <translation>Modell B</translation>
    </message>
    <message>
        <source>Reference…</source>
        <translation>Referenz…</translation>
    </message>
    <message>
        <source>A manifest (TSV with file and transcript columns) or, for one file, its transcript as a text file.</source>
        <translation>Ein Manifest (TSV mit Spalten für Datei und Transkript) oder, für eine Datei, ihr Transkript als Textdatei.</translation>
    </message>
    <message>
        <source>Use no reference file</source>
        <translation>Keine Referenzdatei verwenden</translation>
    </message>
    <message>
        <source>Use no reference file.</source>
        <translation>Keine Referenzdatei verwenden.</translation>
    </message>
    <message>
        <source>Files to compare</source>
        <translation>Zu vergleichende Dateien</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>Dateien hinzufügen…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Leeren</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Ausführen</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stopp</translation>
    </message>
    <message>
        <source>Results per file</source>
        <translation>Ergebnisse pro Datei</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>Zusammenfassung</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>JSON exportieren…</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>CSV exportieren…</translation>
    </message>
    <message>
        <source>Reference: {reference}</source>
        <translation>Referenz: {reference}</translation>
    </message>
    <message>
        <source>Reference: a .txt beside each file, if any</source>
        <translation>Referenz: eine .txt neben jeder Datei, falls vorhanden</translation>
    </message>
    <message>
        <source>Without a reference file, NAME.txt next to NAME.wav is its reference; files without one are scored B against A only.</source>
        <translation>Ohne Referenzdatei ist NAME.txt neben NAME.wav deren Referenz; Dateien ohne eine werden nur B gegen A bewertet.</translation>
    </message>
    <message>
        <source>Add files to compare</source>
        <translation>Dateien zum Vergleichen hinzufügen</translation>
    </message>
    <message>
        <source>Reference transcripts</source>
        <translation>Referenztranskripte</translation>
    </message>
    <message>
        <source>A comparison is running.</source>
        <translation>Ein Vergleich läuft.</translation>
    </message>
    <message>
        <source>There is no installed transcription model to compare.</source>
        <translation>Es ist kein installiertes Transkriptionsmodell zum Vergleichen vorhanden.</translation>
    </message>
    <message>
        <source>Pick two different models (or two precisions of one) for A and B.</source>
        <translation>Wählen Sie zwei verschiedene Modelle (oder zwei Genauigkeiten eines Modells) für A und B.</translation>
    </message>
    <message>
        <source>Add at least one file to compare (or drop files on this window).</source>
        <translation>Fügen Sie mindestens eine Datei zum Vergleichen hinzu (oder ziehen Sie Dateien auf dieses Fenster).</translation>
    </message>
    <message>
        <source>Starting: {a} against {b}…</source>
        <translation>Start: {a} gegen {b}…</translation>
    </message>
    <message>
        <source>Run every file through A, then through B.</source>
        <translation>Jede Datei erst durch A, dann durch B laufen lassen.</translation>
    </message>
    <message>
        <source>A did not run.</source>
        <translation>A ist nicht gelaufen.</translation>
    </message>
    <message>
        <source>tie</source>
        <translation>unentschieden</translation>
    </message>
    <message>
        <source>Only a file both models ran has a winner.</source>
        <translation>Nur eine Datei, die beide Modelle verarbeitet haben, hat einen Sieger.</translation>
    </message>
    <message>
        <source>Export the comparison as {kind}</source>
        <translation>Den Vergleich als {kind} exportieren</translation>
    </message>
    <message>
        <source>Could not write {path}: {reason}.</source>
        <translation>{path} konnte nicht geschrieben werden: {reason}.</translation>
    </message>
    <message>
        <source>Saved the comparison to {path}.</source>
        <translation>Der Vergleich wurde in {path} gespeichert.</translation>
    </message>
    <message>
        <source>Files done</source>
        <translation>Fertige Dateien</translation>
    </message>
    <message>
        <source>{done} of {count}</source>
        <translation>{done} von {count}</translation>
    </message>
    <message>
        <source>WER, all words</source>
        <translation>WER, alle Wörter</translation>
    </message>
    <message>
        <source>Real-time factor</source>
        <translation>Echtzeitfaktor</translation>
    </message>
    <message>
        <source>Estimate</source>
        <translation>Schätzung</translation>
    </message>
    <message>
        <source>Measured</source>
        <translation>Gemessen</translation>
    </message>
    <message>
        <source>{side} was refused:</source>
        <translation>{side} wurde abgelehnt:</translation>
    </message>
    <message>
        <source>{side} failed on {file}:</source>
        <translation>{side} ist bei {file} fehlgeschlagen:</translation>
    </message>
    <message>
        <source>A won {a}, B won {b}, ties {ties}</source>
        <translation>A gewann {a}, B gewann {b}, unentschieden {ties}</translation>
    </message>
</context>
<context>
    <name>DropZone</name>
    <message>
        <source>Audio and video (*.wav *.flac *.mp3 *.ogg *.oga *.opus *.m4a *.aac *.wma *.aiff *.aif *.mp4 *.mkv *.mov *.webm *.avi);;All files (*)</source>
        <translation>Audio und Video (*.wav *.flac *.mp3 *.ogg *.oga *.opus *.m4a *.aac *.wma *.aiff *.aif *.mp4 *.mkv *.mov *.webm *.avi);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Drop audio or video files here</source>
        <translation>Audio/Video hier ablegen</translation>
    </message>
    <message>
        <source>Open files…</source>
        <translation>Dateien öffnen…</translation>
    </message>
    <message>
        <source>Open files</source>
        <translation>Dateien öffnen</translation>
    </message>
</context>
<context>
    <name>EventStrip</name>
    <message>
        <source>What happened, oldest on the left; the ticks on the chart mark when.</source>
        <translation>Was geschah, das Älteste links; die Markierungen im Diagramm zeigen, wann.</translation>
    </message>
    <message>
        <source>At {time}: {words}</source>
        <translation>Um {time}: {words}</translation>
    </message>
</context>
<context>
    <name>ExportRow</name>
    <message>
        <source>Export format</source>
        <translation>Exportformat</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportieren…</translation>
    </message>
    <message>
        <source>Export transcript</source>
        <translation>Transkript exportieren</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Alle Dateien (*)</translation>
    </message>
</context>
<context>
    <name>FallbackDialog</name>
    <message>
        <source>Fallback chain</source>
        <translation>Ersatzkette</translation>
    </message>
    <message>
        <source>Model to add</source>
        <translation>Hinzuzufügendes Modell</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Hinzufügen</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Up</source>
        <translation>Nach oben</translation>
    </message>
    <message>
        <source>Down</source>
        <translation>Nach unten</translation>
    </message>
    <message>
        <source>When the chosen model is refused for memory, fails to load or is stopped, these are tried in order; {model} is always last.</source>
        <translation>Wenn das gewählte Modell wegen des Speichers abgelehnt wird, nicht geladen werden kann oder gestoppt wird, werden diese der Reihe nach versucht; {model} ist immer das letzte.</translation>
    </message>
</context>
<context>
    <name>FeatureMap</name>
    <message>
        <source>unlabelled</source>
        <translation>unbenannt</translation>
    </message>
    <message>
        <source>Map of the library&apos;s sounds</source>
        <translation>Karte der Klänge in der Bibliothek</translation>
    </message>
    <message>
        <source>Each point is a stored sound; click one to open its recording</source>
        <translation>Jeder Punkt ist ein gespeicherter Klang; ein Klick öffnet seine Aufnahme</translation>
    </message>
    <message>
        <source>{label} (window {window_id})
Click to open it.</source>
        <translation>{label} (Fenster {window_id})
Zum Öffnen klicken.</translation>
    </message>
</context>
<context>
    <name>FeaturesPanel</name>
    <message>
        <source>Compare sounds by</source>
        <translation>Klänge vergleichen nach</translation>
    </message>
    <message>
        <source>Computing features…</source>
        <translation>Merkmale werden berechnet…</translation>
    </message>
    <message>
        <source>Labelled {start:.1f}–{end:.1f} s as “{name}” ({count} windows); recordings like it will have it suggested.</source>
        <translation>{start:.1f}–{end:.1f} s als „{name}“ benannt ({count} Fenster); ähnliche Aufnahmen bekommen es vorgeschlagen.</translation>
    </message>
    <message>
        <source>Labelled {count} windows “{name}”.</source>
        <translation>{count} Fenster als „{name}“ benannt.</translation>
    </message>
    <message>
        <source>“{name}” will not be suggested for this recording again.</source>
        <translation>„{name}“ wird für diese Aufnahme nicht mehr vorgeschlagen.</translation>
    </message>
    <message>
        <source>{count} windows remembered ({name}).</source>
        <translation>{count} Fenster gespeichert ({name}).</translation>
    </message>
</context>
<context>
    <name>FeaturesView</name>
    <message>
        <source>Select a recording to see its features.</source>
        <translation>Wählen Sie eine Aufnahme aus, um ihre Merkmale zu sehen.</translation>
    </message>
    <message>
        <source>No spectrogram yet for this recording.</source>
        <translation>Noch kein Spektrogramm für diese Aufnahme.</translation>
    </message>
    <message>
        <source>Drag across the spectrogram to select a span (or use the whole recording), then press Find similar.</source>
        <translation>Ziehen Sie über das Spektrogramm, um einen Abschnitt auszuwählen (oder nehmen Sie die ganze Aufnahme), und drücken Sie dann Ähnliche finden.</translation>
    </message>
    <message>
        <source>Sounds like a span of the selected recording, found across your library, show here.</source>
        <translation>Klänge wie ein Abschnitt der gewählten Aufnahme, in Ihrer ganzen Bibliothek gefunden, erscheinen hier.</translation>
    </message>
    <message>
        <source>Nothing similar in the library yet: add more recordings to the feature memory.</source>
        <translation>Noch nichts Ähnliches in der Bibliothek: Fügen Sie dem Merkmalspeicher weitere Aufnahmen hinzu.</translation>
    </message>
    <message>
        <source>No suggested labels. Name a span above; recordings added later get suggestions from the labels you give.</source>
        <translation>Keine vorgeschlagenen Bezeichnungen. Benennen Sie oben einen Abschnitt; später hinzugefügte Aufnahmen bekommen Vorschläge aus Ihren Bezeichnungen.</translation>
    </message>
    <message>
        <source>No sound recurs in this recording.</source>
        <translation>In dieser Aufnahme wiederholt sich kein Klang.</translation>
    </message>
    <message>
        <source>Sounds that come back within the recording show here once its features are computed.</source>
        <translation>Klänge, die in der Aufnahme wiederkehren, erscheinen hier, sobald ihre Merkmale berechnet sind.</translation>
    </message>
    <message>
        <source>No stored sounds yet: add recordings to the feature memory to see the library&apos;s map.</source>
        <translation>Noch keine gespeicherten Klänge: Fügen Sie dem Merkmalspeicher Aufnahmen hinzu, um die Karte der Bibliothek zu sehen.</translation>
    </message>
    <message>
        <source> (max {level})</source>
        <translation> (max. {level})</translation>
    </message>
    <message>
        <source>peak {level}</source>
        <translation>Spitze {level}</translation>
    </message>
    <message>
        <source>centroid</source>
        <translation>Schwerpunkt</translation>
    </message>
    <message>
        <source>bandwidth</source>
        <translation>Bandbreite</translation>
    </message>
    <message>
        <source>roll-off</source>
        <translation>Roll-off</translation>
    </message>
    <message>
        <source>{votes} of the nearest labelled sounds say {label}.</source>
        <translation>{votes} der nächsten benannten Klänge sagen {label}.</translation>
    </message>
    <message>
        <source>Find similar</source>
        <translation>Ähnliche finden</translation>
    </message>
    <message>
        <source>Look through the library for sounds like the selected span (the whole recording when none is selected).</source>
        <translation>Die Bibliothek nach Klängen wie dem gewählten Abschnitt durchsuchen (die ganze Aufnahme, wenn keiner gewählt ist).</translation>
    </message>
    <message>
        <source>Feature views</source>
        <translation>Merkmalsansichten</translation>
    </message>
    <message>
        <source>Similar</source>
        <translation>Ähnlich</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>Bezeichnungen</translation>
    </message>
    <message>
        <source>Patterns</source>
        <translation>Muster</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>Karte</translation>
    </message>
    <message>
        <source>Similar sounds</source>
        <translation>Ähnliche Klänge</translation>
    </message>
    <message>
        <source>Double-click or press Enter to open the recording there.</source>
        <translation>Doppelklicken oder Eingabe drücken, um die Aufnahme an dieser Stelle zu öffnen.</translation>
    </message>
    <message>
        <source>Label for the selected span</source>
        <translation>Bezeichnung für den gewählten Abschnitt</translation>
    </message>
    <message>
        <source>Name the selected sound, e.g. door slam</source>
        <translation>Den gewählten Klang benennen, z. B. Türknallen</translation>
    </message>
    <message>
        <source>Label this span</source>
        <translation>Diesen Abschnitt benennen</translation>
    </message>
    <message>
        <source>Suggested labels</source>
        <translation>Vorgeschlagene Bezeichnungen</translation>
    </message>
    <message>
        <source>Recurring sounds</source>
        <translation>Wiederkehrende Klänge</translation>
    </message>
    <message>
        <source>Click an occurrence to see and hear it.</source>
        <translation>Klicken Sie auf ein Vorkommen, um es zu sehen und zu hören.</translation>
    </message>
    <message>
        <source>Features</source>
        <translation>Merkmale</translation>
    </message>
    <message>
        <source>{path}
{span}, similarity {score:.2f}
Double-click to open it there.</source>
        <translation>{path}
{span}, Ähnlichkeit {score:.2f}
Doppelklicken, um sie an dieser Stelle zu öffnen.</translation>
    </message>
    <message>
        <source>Span {span}</source>
        <translation>Abschnitt {span}</translation>
    </message>
    <message>
        <source>Give the selected span this name.</source>
        <translation>Dem gewählten Abschnitt diesen Namen geben.</translation>
    </message>
    <message>
        <source>Drag across the spectrogram to select a span first.</source>
        <translation>Ziehen Sie zuerst über das Spektrogramm, um einen Abschnitt auszuwählen.</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>set with --memory-limit when the app was started</source>
        <translation>beim Start der App mit --memory-limit festgelegt</translation>
    </message>
    <message>
        <source>set by the environment variable {name}</source>
        <translation>durch die Umgebungsvariable {name} festgelegt</translation>
    </message>
    <message>
        <source>set in Settings</source>
        <translation>in den Einstellungen festgelegt</translation>
    </message>
    <message>
        <source>the default of {size}</source>
        <translation>der Standardwert von {size}</translation>
    </message>
    <message>
        <source>Welcome to grym-desktop</source>
        <translation>Willkommen bei grym-desktop</translation>
    </message>
    <message>
        <source>Drop audio or video files on the window to transcribe them.</source>
        <translation>Ziehen Sie Audio- oder Videodateien auf das Fenster, um sie zu transkribieren.</translation>
    </message>
    <message>
        <source>About this installation</source>
        <translation>Über diese Installation</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Start</translation>
    </message>
    <message>
        <source>What is installed</source>
        <translation>Was installiert ist</translation>
    </message>
    <message>
        <source>Whisper tiny.en (English) comes with the app and works offline: nothing you transcribe leaves this computer. Larger and multilingual models can be downloaded from Models ▸ Models…</source>
        <translation>Whisper tiny.en (Englisch) ist in der App enthalten und funktioniert offline: Nichts, was Sie transkribieren, verlässt diesen Computer. Größere und mehrsprachige Modelle können unter Modelle ▸ Modelle… heruntergeladen werden.</translation>
    </message>
    <message>
        <source>Memory limit: {size}</source>
        <translation>Speicherlimit: {size}</translation>
    </message>
    <message>
        <source>The limit is {source}; this computer has {total} of memory.</source>
        <translation>Das Limit ist {source}; dieser Computer hat {total} Arbeitsspeicher.</translation>
    </message>
    <message>
        <source>Speech models can take gigabytes. The app loads one model at a time, refuses a model that would not fit before reading any of it (and says what would fit), and stops a model that grows above the limit, so the rest of the computer keeps working. Change the limit in Edit ▸ Settings…</source>
        <translation>Sprachmodelle können Gigabytes belegen. Die App lädt jeweils nur ein Modell, lehnt ein Modell, das nicht passen würde, ab, bevor sie etwas davon liest (und sagt, was passen würde), und stoppt ein Modell, das über das Limit wächst, damit der Rest des Computers weiterarbeitet. Das Limit ändern Sie unter Bearbeiten ▸ Einstellungen…</translation>
    </message>
    <message>
        <source>Library (transcripts, recordings)</source>
        <translation>Bibliothek (Transkripte, Aufnahmen)</translation>
    </message>
    <message>
        <source>Models the app downloads or assembles</source>
        <translation>Modelle, die die App herunterlädt oder zusammensetzt</translation>
    </message>
    <message>
        <source>Models from Hugging Face</source>
        <translation>Modelle von Hugging Face</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Where your files go</source>
        <translation>Wo Ihre Dateien landen</translation>
    </message>
</context>
<context>
    <name>FolderWatcher</name>
    <message>
        <source>{path} cannot be read: {reason}.</source>
        <translation>{path} kann nicht gelesen werden: {reason}.</translation>
    </message>
</context>
<context>
    <name>History</name>
    <message>
        <source>The task failed for an unknown reason.</source>
        <translation>Die Aufgabe ist aus unbekanntem Grund fehlgeschlagen.</translation>
    </message>
    <message>
        <source>incomplete</source>
        <translation>unvollständig</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>{details}  ·  failed: {error}</source>
        <translation>{details}  ·  fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <source>{details}  ·  {status}, {count} segments</source>
        <translation>{details}  ·  {status}, {count} Segmente</translation>
    </message>
    <message>
        <source>{details}  ·  running…</source>
        <translation>{details}  ·  läuft…</translation>
    </message>
    <message>
        <source>{details}  ·  corrected</source>
        <translation>{details}  ·  korrigiert</translation>
    </message>
    <message>
        <source>Any length</source>
        <translation>Beliebige Länge</translation>
    </message>
    <message>
        <source>Under 1 minute</source>
        <translation>Unter 1 Minute</translation>
    </message>
    <message>
        <source>1 to 10 minutes</source>
        <translation>1 bis 10 Minuten</translation>
    </message>
    <message>
        <source>10 minutes to 1 hour</source>
        <translation>10 Minuten bis 1 Stunde</translation>
    </message>
    <message>
        <source>Over 1 hour</source>
        <translation>Über 1 Stunde</translation>
    </message>
    <message>
        <source>Newest first</source>
        <translation>Neueste zuerst</translation>
    </message>
    <message>
        <source>Oldest first</source>
        <translation>Älteste zuerst</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Longest first</source>
        <translation>Längste zuerst</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
</context>
<context>
    <name>HistoryList</name>
    <message>
        <source>Open</source>
        <translation>Öffnen</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Umbenennen…</translation>
    </message>
    <message>
        <source>Remove star</source>
        <translation>Stern entfernen</translation>
    </message>
    <message>
        <source>Star</source>
        <translation>Mit Stern markieren</translation>
    </message>
    <message>
        <source>Transcribe again with</source>
        <translation>Erneut transkribieren mit</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>Im Ordner anzeigen</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Löschen…</translation>
    </message>
</context>
<context>
    <name>Jobs</name>
    <message>
        <source>This</source>
        <translation>Dies</translation>
    </message>
    <message>
        <source>{what} stopped unexpectedly ({error}); see the log.</source>
        <translation>{what} wurde unerwartet beendet ({error}); siehe Protokoll.</translation>
    </message>
    <message>
        <source>Watching the folder</source>
        <translation>Die Ordnerüberwachung</translation>
    </message>
    <message>
        <source>This file</source>
        <translation>Diese Datei</translation>
    </message>
    <message>
        <source>Live transcription</source>
        <translation>Die Live-Transkription</translation>
    </message>
    <message>
        <source>This task</source>
        <translation>Diese Aufgabe</translation>
    </message>
</context>
<context>
    <name>LivePanel</name>
    <message>
        <source>Input</source>
        <translation>Eingang</translation>
    </message>
    <message>
        <source>Rescan</source>
        <translation>Neu suchen</translation>
    </message>
    <message>
        <source>Look for microphones again</source>
        <translation>Erneut nach Mikrofonen suchen</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>Datei…</translation>
    </message>
    <message>
        <source>Replay an audio file as if it were a microphone</source>
        <translation>Eine Audiodatei abspielen, als wäre sie ein Mikrofon</translation>
    </message>
    <message>
        <source>● Record</source>
        <translation>● Aufnehmen</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Input level</source>
        <translation>Eingangspegel</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>Bereit</translation>
    </message>
    <message>
        <source>Live transcript</source>
        <translation>Live-Transkript</translation>
    </message>
    <message>
        <source>Press Record and speak: the text follows within a second.</source>
        <translation>Drücken Sie Aufnehmen und sprechen Sie: Der Text folgt innerhalb einer Sekunde.</translation>
    </message>
    <message>
        <source>Exported {name}</source>
        <translation>{name} exportiert</translation>
    </message>
    <message>
        <source>{remembered} (not connected)</source>
        <translation>{remembered} (nicht verbunden)</translation>
    </message>
    <message>
        <source>No microphone found</source>
        <translation>Kein Mikrofon gefunden</translation>
    </message>
    <message>
        <source>Replay an audio file</source>
        <translation>Eine Audiodatei abspielen</translation>
    </message>
    <message>
        <source>No microphone was found on this computer.</source>
        <translation>Auf diesem Computer wurde kein Mikrofon gefunden.</translation>
    </message>
    <message>
        <source>■ Stop</source>
        <translation>■ Stopp</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Wird gestartet…</translation>
    </message>
    <message>
        <source>Finishing…</source>
        <translation>Wird abgeschlossen…</translation>
    </message>
    <message>
        <source>Listening to {source} · {model} · {precision}</source>
        <translation>Höre {source} · {model} · {precision}</translation>
    </message>
    <message>
        <source>{behind:.1f} s behind</source>
        <translation>{behind:.1f} s im Rückstand</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>Das Modell wird geladen…</translation>
    </message>
    <message>
        <source>Saved to the library: {count} segments, {duration}</source>
        <translation>In der Bibliothek gespeichert: {count} Segmente, {duration}</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>Beendet</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source> (reduced precision preferred)</source>
        <translation> (geringere Genauigkeit bevorzugt)</translation>
    </message>
    <message>
        <source> (batch 1, 30 s windows)</source>
        <translation> (Batch 1, 30-s-Fenster)</translation>
    </message>
    <message>
        <source> (warning: close to the limit)</source>
        <translation> (Warnung: nahe am Limit)</translation>
    </message>
    <message>
        <source> (no new loads)</source>
        <translation> (keine neuen Ladevorgänge)</translation>
    </message>
    <message>
        <source>Live</source>
        <translation>Live</translation>
    </message>
    <message>
        <source>Features</source>
        <translation>Merkmale</translation>
    </message>
    <message>
        <source>Ask</source>
        <translation>Fragen</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Models…</source>
        <translation>Modelle…</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Warteschlange</translation>
    </message>
    <message>
        <source>The files waiting, running and done, with their status</source>
        <translation>Die wartenden, laufenden und fertigen Dateien mit ihrem Status</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Datei</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>idle</source>
        <translation>bereit</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Load anyway…</source>
        <translation>Trotzdem laden…</translation>
    </message>
    <message>
        <source>Load a model the memory guard refused, after confirming</source>
        <translation>Ein vom Speicherwächter abgelehntes Modell nach Bestätigung laden</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Bibliothek</translation>
    </message>
    <message>
        <source>Past transcripts; the context menu renames, stars or deletes one</source>
        <translation>Frühere Transkripte; das Kontextmenü benennt sie um, markiert sie mit Stern oder löscht sie</translation>
    </message>
    <message>
        <source>Filter the library</source>
        <translation>Bibliothek filtern</translation>
    </message>
    <message>
        <source>Filter by name, file, model or date</source>
        <translation>Nach Name, Datei, Modell oder Datum filtern</translation>
    </message>
    <message>
        <source>Search all transcripts</source>
        <translation>Alle Transkripte durchsuchen</translation>
    </message>
    <message>
        <source>Search the words of every transcript</source>
        <translation>Die Wörter aller Transkripte durchsuchen</translation>
    </message>
    <message>
        <source>Search results</source>
        <translation>Suchergebnisse</translation>
    </message>
    <message>
        <source>Show starred transcripts only</source>
        <translation>Nur mit Stern markierte Transkripte zeigen</translation>
    </message>
    <message>
        <source>Show corrected transcripts only</source>
        <translation>Nur korrigierte Transkripte zeigen</translation>
    </message>
    <message>
        <source>Order of the library</source>
        <translation>Reihenfolge der Bibliothek</translation>
    </message>
    <message>
        <source>Length of the transcripts shown</source>
        <translation>Länge der gezeigten Transkripte</translation>
    </message>
    <message>
        <source>Only transcripts of this length</source>
        <translation>Nur Transkripte dieser Länge</translation>
    </message>
    <message>
        <source>No transcript yet</source>
        <translation>Noch kein Transkript</translation>
    </message>
    <message>
        <source>Exported {path}</source>
        <translation>{path} exportiert</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>Speicher</translation>
    </message>
    <message>
        <source>Model: none loaded</source>
        <translation>Modell: keines geladen</translation>
    </message>
    <message>
        <source>Memory: –</source>
        <translation>Speicher: –</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Open files…</source>
        <translation>Dateien ö&amp;ffnen…</translation>
    </message>
    <message>
        <source>&amp;Export transcript…</source>
        <translation>Transkript e&amp;xportieren…</translation>
    </message>
    <message>
        <source>&amp;Watch a folder…</source>
        <translation>Ordner über&amp;wachen…</translation>
    </message>
    <message>
        <source>S&amp;top watching</source>
        <translation>Überwachung be&amp;enden</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;Find in transcript…</source>
        <translation>Im Transkript &amp;suchen…</translation>
    </message>
    <message>
        <source>Search &amp;all transcripts</source>
        <translation>&amp;Alle Transkripte durchsuchen</translation>
    </message>
    <message>
        <source>&amp;Save corrections</source>
        <translation>Korrekturen s&amp;peichern</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Einstellungen…</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Live microphone</source>
        <translation>&amp;Live-Mikrofon</translation>
    </message>
    <message>
        <source>Start/stop &amp;recording</source>
        <translation>&amp;Aufnahme starten/stoppen</translation>
    </message>
    <message>
        <source>&amp;Memory chart</source>
        <translation>&amp;Speicherdiagramm</translation>
    </message>
    <message>
        <source>Audio &amp;features</source>
        <translation>Audio-&amp;Merkmale</translation>
    </message>
    <message>
        <source>&amp;Ask the recording</source>
        <translation>Die Aufnahme &amp;fragen</translation>
    </message>
    <message>
        <source>&amp;Models</source>
        <translation>&amp;Modelle</translation>
    </message>
    <message>
        <source>&amp;Models…</source>
        <translation>&amp;Modelle…</translation>
    </message>
    <message>
        <source>&amp;Fallback models…</source>
        <translation>&amp;Ersatzmodelle…</translation>
    </message>
    <message>
        <source>&amp;Compare two models…</source>
        <translation>Zwei Modelle &amp;vergleichen…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;About grym-desktop</source>
        <translation>&amp;Über grym-desktop</translation>
    </message>
    <message>
        <source>Stopped watching; files already queued still finish.</source>
        <translation>Überwachung beendet; bereits eingereihte Dateien werden noch fertig.</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <source>Find in the transcript:</source>
        <translation>Im Transkript suchen:</translation>
    </message>
    <message>
        <source>“{text}” is not in this transcript.</source>
        <translation>„{text}“ kommt in diesem Transkript nicht vor.</translation>
    </message>
    <message>
        <source>Saved the corrections; the model&apos;s text is kept too.</source>
        <translation>Korrekturen gespeichert; der Text des Modells bleibt ebenfalls erhalten.</translation>
    </message>
    <message>
        <source>Save corrections?</source>
        <translation>Korrekturen speichern?</translation>
    </message>
    <message>
        <source>Save your corrections to {name}?</source>
        <translation>Ihre Korrekturen an {name} speichern?</translation>
    </message>
    <message>
        <source>Unsaved corrections</source>
        <translation>Ungespeicherte Korrekturen</translation>
    </message>
    <message>
        <source>Your corrections to {name} were not saved. Open them to go on?</source>
        <translation>Ihre Korrekturen an {name} wurden nicht gespeichert. Öffnen, um weiterzumachen?</translation>
    </message>
    <message>
        <source>About grym-desktop</source>
        <translation>Über grym-desktop</translation>
    </message>
    <message>
        <source>grym-desktop: local audio transcription under a memory governor.
Every model runs on this machine; nothing is sent anywhere.</source>
        <translation>grym-desktop: lokale Audiotranskription unter einem Speicherwächter.
Jedes Modell läuft auf diesem Rechner; nichts wird irgendwohin gesendet.</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>A running task cannot be removed; use Cancel.</source>
        <translation>Eine laufende Aufgabe kann nicht entfernt werden; verwenden Sie Abbrechen.</translation>
    </message>
    <message>
        <source>No transcript says “{query}”.</source>
        <translation>Kein Transkript enthält „{query}“.</translation>
    </message>
    <message>
        <source>Rename transcript</source>
        <translation>Transkript umbenennen</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <source>this transcript</source>
        <translation>dieses Transkript</translation>
    </message>
    <message>
        <source>Delete transcript?</source>
        <translation>Transkript löschen?</translation>
    </message>
    <message>
        <source>Delete the transcript of {name} and its recording from the library?</source>
        <translation>Das Transkript von {name} und seine Aufnahme aus der Bibliothek löschen?</translation>
    </message>
    <message>
        <source>Delete the transcript of {name} from the library? The audio file stays where it is.</source>
        <translation>Das Transkript von {name} aus der Bibliothek löschen? Die Audiodatei bleibt, wo sie ist.</translation>
    </message>
    <message>
        <source>Deleted the transcript of {name}.</source>
        <translation>Das Transkript von {name} wurde gelöscht.</translation>
    </message>
    <message>
        <source>; the voice library will recognise them</source>
        <translation>; die Stimmbibliothek wird die Stimme wiedererkennen</translation>
    </message>
    <message>
        <source>{old} is now {new}{known}.</source>
        <translation>{old} heißt jetzt {new}{known}.</translation>
    </message>
    <message>
        <source>{name} has no transcript yet; drop it on the window to open it.</source>
        <translation>{name} hat noch kein Transkript; ziehen Sie die Datei auf das Fenster, um sie zu öffnen.</translation>
    </message>
    <message>
        <source>Locate {name}</source>
        <translation>{name} suchen</translation>
    </message>
    <message>
        <source> · incomplete</source>
        <translation> · unvollständig</translation>
    </message>
    <message>
        <source> · corrected, not saved (Ctrl+S)</source>
        <translation> · korrigiert, nicht gespeichert (Strg+S)</translation>
    </message>
    <message>
        <source> · corrected</source>
        <translation> · korrigiert</translation>
    </message>
    <message>
        <source>Transcribed with {to_model} instead of {from_model}: {reason}</source>
        <translation>Mit {to_model} statt {from_model} transkribiert: {reason}</translation>
    </message>
    <message>
        <source>Memory: {level}{effect} · {pressure:.0%} of {limit} · budget {budget}</source>
        <translation>Speicher: {level}{effect} · {pressure:.0%} von {limit} · Budget {budget}</translation>
    </message>
    <message>
        <source>Load anyway?</source>
        <translation>Trotzdem laden?</translation>
    </message>
    <message>
        <source>{error}

Load {model_id} anyway? The watchdog still stops the model host if it goes above the limit.</source>
        <translation>{error}

{model_id} trotzdem laden? Der Watchdog stoppt den Modell-Host weiterhin, wenn er das Limit überschreitet.</translation>
    </message>
    <message>
        <source>Fallback chain: {chain}.</source>
        <translation>Ersatzkette: {chain}.</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>wartet</translation>
    </message>
    <message>
        <source>starting</source>
        <translation>startet</translation>
    </message>
    <message>
        <source>{queue_position}: %p%</source>
        <translation>{queue_position}: %p %</translation>
    </message>
    <message>
        <source>Transcribing {name}: click its row to watch it.</source>
        <translation>{name} wird transkribiert: Klicken Sie auf die Zeile, um zuzusehen.</translation>
    </message>
    <message>
        <source>start {path}</source>
        <translation>Start {path}</translation>
    </message>
    <message>
        <source>{name} · transcribing…</source>
        <translation>{name} · wird transkribiert…</translation>
    </message>
    <message>
        <source>{queue_position}: %p%{suffix}</source>
        <translation>{queue_position}: %p %{suffix}</translation>
    </message>
    <message>
        <source>{name}, file {number} of {count}</source>
        <translation>{name}, Datei {number} von {count}</translation>
    </message>
    <message>
        <source>{count} segment</source>
        <translation>{count} Segment</translation>
    </message>
    <message>
        <source>{count} segments</source>
        <translation>{count} Segmente</translation>
    </message>
    <message>
        <source>done · {words}</source>
        <translation>fertig · {words}</translation>
    </message>
    <message>
        <source>Transcribed {name}.</source>
        <translation>{name} transkribiert.</translation>
    </message>
    <message>
        <source>Transcribed {name}: click its row to open it.</source>
        <translation>{name} transkribiert: Klicken Sie auf die Zeile, um es zu öffnen.</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>Cancelled {name}.</source>
        <translation>{name} abgebrochen.</translation>
    </message>
    <message>
        <source>loading model</source>
        <translation>Modell wird geladen</translation>
    </message>
    <message>
        <source>Loading {model_id} ({precision}, about {estimate})…</source>
        <translation>{model_id} wird geladen ({precision}, etwa {estimate})…</translation>
    </message>
    <message>
        <source>transcribing</source>
        <translation>Transkription</translation>
    </message>
    <message>
        <source>Model: {model_id} · {precision}</source>
        <translation>Modell: {model_id} · {precision}</translation>
    </message>
    <message>
        <source>load {model_id}</source>
        <translation>Laden {model_id}</translation>
    </message>
    <message>
        <source>Loaded {model_id} ({precision}) in {seconds:.1f} s.</source>
        <translation>{model_id} ({precision}) in {seconds:.1f} s geladen.</translation>
    </message>
    <message>
        <source>unload {model_id}</source>
        <translation>Entladen {model_id}</translation>
    </message>
    <message>
        <source>Used {to_model} instead of {from_model}: {reason}</source>
        <translation>{to_model} statt {from_model} verwendet: {reason}</translation>
    </message>
    <message>
        <source>{tooltip}
{model_id} · {precision} · batch {batch_size}
</source>
        <translation>{tooltip}
{model_id} · {precision} · Batch {batch_size}
</translation>
    </message>
    <message>
        <source>The model host was restarted: {reason}.</source>
        <translation>Der Modell-Host wurde neu gestartet: {reason}.</translation>
    </message>
    <message>
        <source>The model host restarted.</source>
        <translation>Der Modell-Host wurde neu gestartet.</translation>
    </message>
    <message>
        <source>{seconds} left</source>
        <translation>noch {seconds}</translation>
    </message>
</context>
<context>
    <name>MemoryChart</name>
    <message>
        <source>window</source>
        <translation>Fenster</translation>
    </message>
    <message>
        <source>model host</source>
        <translation>Modell-Host</translation>
    </message>
    <message>
        <source>whole system (not limited)</source>
        <translation>ganzes System (nicht begrenzt)</translation>
    </message>
    <message>
        <source>task done</source>
        <translation>Aufgabe fertig</translation>
    </message>
    <message>
        <source>task failed</source>
        <translation>Aufgabe fehlgeschlagen</translation>
    </message>
    <message>
        <source>task refused</source>
        <translation>Aufgabe abgelehnt</translation>
    </message>
    <message>
        <source>task cancelled</source>
        <translation>Aufgabe abgebrochen</translation>
    </message>
    <message>
        <source>The app&apos;s window. It counts against the limit.</source>
        <translation>Das Fenster der App. Es zählt zum Limit.</translation>
    </message>
    <message>
        <source>The model host: the separate process that holds the loaded model. It counts against the limit. It is drawn on top of the window, so the top edge of the coloured area is the app&apos;s total.</source>
        <translation>Der Modell-Host: der eigene Prozess, der das geladene Modell hält. Er zählt zum Limit. Er wird über dem Fenster gezeichnet, sodass die Oberkante der farbigen Fläche die Summe der App ist.</translation>
    </message>
    <message>
        <source>Memory used by the whole computer, every program included. Shown for context only: the app&apos;s limit does not apply to it.</source>
        <translation>Vom ganzen Computer belegter Speicher, alle Programme eingeschlossen. Nur zur Einordnung gezeigt: Das Limit der App gilt dafür nicht.</translation>
    </message>
    <message>
        <source>Limit {limit}: the app&apos;s hard memory cap. The watchdog stops the model host if the window and the model host together use more than this.</source>
        <translation>Limit {limit}: die harte Speichergrenze der App. Der Watchdog stoppt den Modell-Host, wenn Fenster und Modell-Host zusammen mehr belegen.</translation>
    </message>
    <message>
        <source>Budget {budget}: how much a new model may use. It is the limit, less a 10 % reserve and less what the app already uses (and never more than the system has free).</source>
        <translation>Budget {budget}: wie viel ein neues Modell belegen darf. Es ist das Limit abzüglich 10 % Reserve und abzüglich dessen, was die App schon belegt (und nie mehr, als das System frei hat).</translation>
    </message>
    <message>
        <source>Memory chart</source>
        <translation>Speicherdiagramm</translation>
    </message>
    <message>
        <source>Memory of the window and the model host over time, with the limit and the budget</source>
        <translation>Speicher von Fenster und Modell-Host im Zeitverlauf, mit Limit und Budget</translation>
    </message>
    <message>
        <source>minutes since the app started</source>
        <translation>Minuten seit dem Start der App</translation>
    </message>
    <message>
        <source>limit {limit}</source>
        <translation>Limit {limit}</translation>
    </message>
    <message>
        <source>limit</source>
        <translation>Limit</translation>
    </message>
    <message>
        <source>budget {budget}</source>
        <translation>Budget {budget}</translation>
    </message>
    <message>
        <source>budget</source>
        <translation>Budget</translation>
    </message>
    <message>
        <source>This app: {app} &amp;nbsp;&amp;nbsp;&amp;nbsp; &lt;span style=&apos;color:{system_colour}&apos;&gt;■&lt;/span&gt;&amp;nbsp;{system}</source>
        <translation>Diese App: {app} &amp;nbsp;&amp;nbsp;&amp;nbsp; &lt;span style=&apos;color:{system_colour}&apos;&gt;■&lt;/span&gt;&amp;nbsp;{system}</translation>
    </message>
    <message>
        <source>No measurement yet.</source>
        <translation>Noch keine Messung.</translation>
    </message>
    <message>
        <source>, {share:.0%} of the {limit} limit</source>
        <translation>, {share:.0%} des Limits von {limit}</translation>
    </message>
    <message>
        <source>At {time}
This app: {app} (window {window} + model host {host}){share}
Whole system: {system} used (not limited)</source>
        <translation>Um {time}
Diese App: {app} (Fenster {window} + Modell-Host {host}){share}
Ganzes System: {system} belegt (nicht begrenzt)</translation>
    </message>
</context>
<context>
    <name>MemoryPanel</name>
    <message>
        <source>Peak by process</source>
        <translation>Spitze je Prozess</translation>
    </message>
    <message>
        <source>Trend</source>
        <translation>Trend</translation>
    </message>
    <message>
        <source>Leak cycles</source>
        <translation>Leck-Zyklen</translation>
    </message>
    <message>
        <source>Returned at unload (GC)</source>
        <translation>Beim Entladen freigegeben (GC)</translation>
    </message>
    <message>
        <source>Estimate error</source>
        <translation>Schätzfehler</translation>
    </message>
    <message>
        <source>{count} load</source>
        <translation>{count} Ladevorgang</translation>
    </message>
    <message>
        <source>{count} loads</source>
        <translation>{count} Ladevorgängen</translation>
    </message>
    <message>
        <source>Leak found: about {kept} stays in memory after each unload, over {loads}.</source>
        <translation>Leck gefunden: Nach jedem Entladen bleiben etwa {kept} im Speicher, über {loads}.</translation>
    </message>
    <message>
        <source>No leak found over {loads}.</source>
        <translation>Kein Leck gefunden über {loads}.</translation>
    </message>
    <message>
        <source>Too early to check for leaks: a model has to be loaded and unloaded twice.</source>
        <translation>Zu früh für eine Leckprüfung: Ein Modell muss zweimal geladen und entladen werden.</translation>
    </message>
    <message>
        <source>Memory keeps growing, about {trend} a minute.</source>
        <translation>Der Speicher wächst weiter, etwa {trend} pro Minute.</translation>
    </message>
    <message>
        <source>Memory is steady.</source>
        <translation>Der Speicher ist stabil.</translation>
    </message>
    <message>
        <source>Memory went up as a model loaded and work ran; that is expected.</source>
        <translation>Der Speicher stieg, als ein Modell geladen wurde und Arbeit lief; das ist zu erwarten.</translation>
    </message>
    <message>
        <source>Memory went up during this session.</source>
        <translation>Der Speicher stieg während dieser Sitzung.</translation>
    </message>
    <message>
        <source>Memory went down as a model was unloaded.</source>
        <translation>Der Speicher sank, als ein Modell entladen wurde.</translation>
    </message>
    <message>
        <source>Memory went down during this session.</source>
        <translation>Der Speicher sank während dieser Sitzung.</translation>
    </message>
    <message>
        <source>No measurement yet.</source>
        <translation>Noch keine Messung.</translation>
    </message>
    <message>
        <source>, {share:.0%} of the {limit} limit</source>
        <translation>, {share:.0%} des Limits von {limit}</translation>
    </message>
    <message>
        <source>Peak {peak}{share}.</source>
        <translation>Spitze {peak}{share}.</translation>
    </message>
    <message>
        <source>Measuring…</source>
        <translation>Wird gemessen…</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>The profiler&apos;s figures: trend, leak cycles, GC, estimates</source>
        <translation>Die Zahlen des Profilers: Trend, Leck-Zyklen, GC, Schätzungen</translation>
    </message>
    <message>
        <source>Export report…</source>
        <translation>Bericht exportieren…</translation>
    </message>
    <message>
        <source>Save the profiler&apos;s report of this session as JSON</source>
        <translation>Den Profiler-Bericht dieser Sitzung als JSON speichern</translation>
    </message>
    <message>
        <source>Profiler details</source>
        <translation>Profiler-Details</translation>
    </message>
    <message>
        <source>app {app} (model host {host}, window {window})</source>
        <translation>App {app} (Modell-Host {host}, Fenster {window})</translation>
    </message>
    <message>
        <source>{model} {precision}: {estimate} estimated, {measured} measured</source>
        <translation>{model} {precision}: {estimate} geschätzt, {measured} gemessen</translation>
    </message>
    <message>
        <source>no model loaded yet</source>
        <translation>noch kein Modell geladen</translation>
    </message>
    <message>
        <source>Export memory report</source>
        <translation>Speicherbericht exportieren</translation>
    </message>
    <message>
        <source>JSON (*.json)</source>
        <translation>JSON (*.json)</translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>Engine</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>Memory per precision</source>
        <translation>Speicher je Genauigkeit</translation>
    </message>
    <message>
        <source>Fits</source>
        <translation>Passt</translation>
    </message>
    <message>
        <source>{size} once assembled</source>
        <translation>{size}, sobald zusammengesetzt</translation>
    </message>
    <message>
        <source>{size} to download</source>
        <translation>{size} zum Herunterladen</translation>
    </message>
    <message>
        <source>On disk now ({where}).</source>
        <translation>Jetzt auf der Festplatte ({where}).</translation>
    </message>
    <message>
        <source>The catalog does not list this model&apos;s size.</source>
        <translation>Der Katalog nennt die Größe dieses Modells nicht.</translation>
    </message>
    <message>
        <source>Installed as {where}: the first use joins the parts into one copy of this size in the app&apos;s data folder.</source>
        <translation>Installiert als {where}: Die erste Verwendung fügt die Teile zu einer Kopie dieser Größe im Datenordner der App zusammen.</translation>
    </message>
    <message>
        <source>The catalog&apos;s size of its files (rounded where the hub listing is).</source>
        <translation>Die Größe der Dateien laut Katalog (gerundet, wo die Hub-Liste es ist).</translation>
    </message>
    <message>
        <source>{id} is installed and verified ({path}).</source>
        <translation>{id} ist installiert und geprüft ({path}).</translation>
    </message>
    <message>
        <source>Downloading {id}</source>
        <translation>{id} wird heruntergeladen</translation>
    </message>
    <message>
        <source>{id} is verified.</source>
        <translation>{id} ist geprüft.</translation>
    </message>
    <message>
        <source>Verifying {id}</source>
        <translation>{id} wird geprüft</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modelle</translation>
    </message>
    <message>
        <source>The catalog: each model&apos;s state, size, memory and whether it fits</source>
        <translation>Der Katalog: Zustand, Größe und Speicher jedes Modells und ob es passt</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Herunterladen</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>Prüfen</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Add a local model folder…</source>
        <translation>Lokalen Modellordner hinzufügen…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Budget for a model now: {budget} (limit {limit}, pressure {level})</source>
        <translation>Budget für ein Modell jetzt: {budget} (Limit {limit}, Druck {level})</translation>
    </message>
    <message>
        <source>Added {id} from {folder}.</source>
        <translation>{id} aus {folder} hinzugefügt.</translation>
    </message>
    <message>
        <source>Add a local model folder</source>
        <translation>Lokalen Modellordner hinzufügen</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <source>Not installed: choose one to download it</source>
        <translation>Nicht installiert: zum Herunterladen auswählen</translation>
    </message>
    <message>
        <source>{size} memory in {precision}</source>
        <translation>{size} Speicher in {precision}</translation>
    </message>
    <message>
        <source>size not listed</source>
        <translation>Größe nicht angegeben</translation>
    </message>
    <message>
        <source>{mark} {model} · installed</source>
        <translation>{mark} {model} · installiert</translation>
    </message>
    <message>
        <source> · does not fit the budget now</source>
        <translation> · passt derzeit nicht ins Budget</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>passt</translation>
    </message>
    <message>
        <source>does not fit the {budget} budget</source>
        <translation>passt nicht ins Budget von {budget}</translation>
    </message>
    <message>
        <source>{size} download</source>
        <translation>{size} Download</translation>
    </message>
    <message>
        <source>download size not listed</source>
        <translation>Downloadgröße nicht angegeben</translation>
    </message>
    <message>
        <source>not installed ({where})</source>
        <translation>nicht installiert ({where})</translation>
    </message>
    <message>
        <source>Download running</source>
        <translation>Download läuft</translation>
    </message>
    <message>
        <source>{running} is downloading; choose {model} again when it is done.</source>
        <translation>{running} wird heruntergeladen; wählen Sie {model} erneut, wenn das fertig ist.</translation>
    </message>
    <message>
        <source>Model too large</source>
        <translation>Modell zu groß</translation>
    </message>
    <message>
        <source>{model} {badge}. Raise the memory limit or choose a smaller model.</source>
        <translation>{model} {badge}. Erhöhen Sie das Speicherlimit oder wählen Sie ein kleineres Modell.</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Herunterladen</translation>
    </message>
    <message>
        <source>Download model</source>
        <translation>Modell herunterladen</translation>
    </message>
    <message>
        <source>Download {model} ({size})?</source>
        <translation>{model} herunterladen ({size})?</translation>
    </message>
    <message>
        <source>It is not on this machine yet.</source>
        <translation>Es ist noch nicht auf diesem Rechner.</translation>
    </message>
    <message>
        <source>Prepare</source>
        <translation>Vorbereiten</translation>
    </message>
    <message>
        <source>Prepare model</source>
        <translation>Modell vorbereiten</translation>
    </message>
    <message>
        <source>Prepare {model}?</source>
        <translation>{model} vorbereiten?</translation>
    </message>
    <message>
        <source>It is not installed: {where}. Nothing is downloaded.</source>
        <translation>Es ist nicht installiert: {where}. Es wird nichts heruntergeladen.</translation>
    </message>
    <message>
        <source>{detail} Loaded, it needs about {size} of memory ({precision}), within the current budget of {budget}. The picker selects it when it is ready.</source>
        <translation>{detail} Geladen braucht es etwa {size} Speicher ({precision}), innerhalb des aktuellen Budgets von {budget}. Die Auswahl wählt es, sobald es bereit ist.</translation>
    </message>
    <message>
        <source>Downloading {model}</source>
        <translation>{model} wird heruntergeladen</translation>
    </message>
    <message>
        <source>Preparing {model}</source>
        <translation>{model} wird vorbereitet</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Verifying {model}</source>
        <translation>{model} wird geprüft</translation>
    </message>
    <message>
        <source>Download failed</source>
        <translation>Download fehlgeschlagen</translation>
    </message>
</context>
<context>
    <name>PlayerBar</name>
    <message>
        <source>Play</source>
        <translation>Abspielen</translation>
    </message>
    <message>
        <source>Play (Space)</source>
        <translation>Abspielen (Leertaste)</translation>
    </message>
    <message>
        <source>Back {seconds:g} s</source>
        <translation>{seconds:g} s zurück</translation>
    </message>
    <message>
        <source>Forward {seconds:g} s</source>
        <translation>{seconds:g} s vor</translation>
    </message>
    <message>
        <source>Position in the file</source>
        <translation>Position in der Datei</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Geschwindigkeit</translation>
    </message>
    <message>
        <source>Speed (the pitch is kept)</source>
        <translation>Geschwindigkeit (die Tonhöhe bleibt)</translation>
    </message>
    <message>
        <source>{speed:g}x</source>
        <translation>{speed:g}×</translation>
    </message>
    <message>
        <source>Volume</source>
        <translation>Lautstärke</translation>
    </message>
    <message>
        <source>Loop</source>
        <translation>Schleife</translation>
    </message>
    <message>
        <source>Play the span over and over (the whole file without one)</source>
        <translation>Den Abschnitt immer wieder abspielen (ohne Abschnitt die ganze Datei)</translation>
    </message>
    <message>
        <source>Locate file…</source>
        <translation>Datei suchen…</translation>
    </message>
    <message>
        <source>Pause (Space)</source>
        <translation>Pause (Leertaste)</translation>
    </message>
</context>
<context>
    <name>ReplaceBar</name>
    <message>
        <source>Find</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <source>Replace with</source>
        <translation>Ersetzen durch</translation>
    </message>
    <message>
        <source>Match case</source>
        <translation>Groß-/Kleinschreibung beachten</translation>
    </message>
    <message>
        <source>Whole words</source>
        <translation>Ganze Wörter</translation>
    </message>
    <message>
        <source>Find next</source>
        <translation>Weitersuchen</translation>
    </message>
    <message>
        <source>Replace all</source>
        <translation>Alle ersetzen</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>Nicht gefunden</translation>
    </message>
    <message>
        <source>Wait until the file is done</source>
        <translation>Warten Sie, bis die Datei fertig ist</translation>
    </message>
    <message>
        <source>{count} replaced</source>
        <translation>{count} ersetzt</translation>
    </message>
</context>
<context>
    <name>SegmentModel</name>
    <message>
        <source>Start</source>
        <translation>Start</translation>
    </message>
    <message>
        <source>End</source>
        <translation>Ende</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>Sprecher</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>Click to play from here</source>
        <translation>Klicken, um ab hier abzuspielen</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <source>find them (automatic count)</source>
        <translation>ermitteln (Anzahl automatisch)</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Memory limit</source>
        <translation>Speicherlimit</translation>
    </message>
    <message>
        <source>The most memory the app (window and model host together) may use, e.g. 8GiB or 1500MiB. The watchdog enforces it.</source>
        <translation>Der meiste Speicher, den die App (Fenster und Modell-Host zusammen) belegen darf, z. B. 8GiB oder 1500MiB. Der Watchdog setzt es durch.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <source>detect automatically</source>
        <translation>automatisch erkennen</translation>
    </message>
    <message>
        <source>Translate into English</source>
        <translation>Ins Englische übersetzen</translation>
    </message>
    <message>
        <source>Decode only the stretches where speech is heard (VAD)</source>
        <translation>Nur die Abschnitte dekodieren, in denen Sprache zu hören ist (VAD)</translation>
    </message>
    <message>
        <source>Show the text of short files while it is decoded (about half as long again)</source>
        <translation>Den Text kurzer Dateien schon während der Dekodierung zeigen (dauert etwa anderthalbmal so lange)</translation>
    </message>
    <message>
        <source>A file under 30 s is decoded piece by piece, cut in its pauses, so its first sentences appear before the rest.</source>
        <translation>Eine Datei unter 30 s wird Stück für Stück dekodiert, in ihren Pausen geschnitten, sodass ihre ersten Sätze vor dem Rest erscheinen.</translation>
    </message>
    <message>
        <source>Beam size</source>
        <translation>Strahlbreite</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>Genauigkeit</translation>
    </message>
    <message>
        <source>by memory (int8 when memory is tight)</source>
        <translation>nach Speicher (int8 bei knappem Speicher)</translation>
    </message>
    <message>
        <source>Speakers</source>
        <translation>Sprecher</translation>
    </message>
    <message>
        <source>After transcribing, find who spoke when (one model at a time: the speaker encoder takes the speech model&apos;s place)</source>
        <translation>Nach dem Transkribieren ermitteln, wer wann sprach (ein Modell nach dem anderen: der Sprecher-Encoder nimmt den Platz des Sprachmodells ein)</translation>
    </message>
    <message>
        <source>{n} speakers</source>
        <translation>{n} Sprecher</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Mikrofon</translation>
    </message>
    <message>
        <source>system default</source>
        <translation>Systemstandard</translation>
    </message>
    <message>
        <source>Export folder</source>
        <translation>Exportordner</translation>
    </message>
    <message>
        <source>beside the audio file</source>
        <translation>neben der Audiodatei</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Interface language</source>
        <translation>Sprache der Oberfläche</translation>
    </message>
    <message>
        <source>The language of menus, buttons and messages; it applies the next time the app starts.</source>
        <translation>Die Sprache von Menüs, Schaltflächen und Meldungen; sie gilt ab dem nächsten Start der App.</translation>
    </message>
    <message>
        <source>Applies at the next start.</source>
        <translation>Gilt ab dem nächsten Start.</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Systemsprache</translation>
    </message>
</context>
<context>
    <name>SingleInstance</name>
    <message>
        <source>grym-desktop is already open: the files went to its window.</source>
        <translation>grym-desktop ist bereits geöffnet: Die Dateien wurden an dessen Fenster übergeben.</translation>
    </message>
    <message>
        <source>grym-desktop is already open: its window was brought to the front.</source>
        <translation>grym-desktop ist bereits geöffnet: Sein Fenster wurde in den Vordergrund geholt.</translation>
    </message>
</context>
<context>
    <name>SpeakersBar</name>
    <message>
        <source>Speakers:</source>
        <translation>Sprecher:</translation>
    </message>
    <message>
        <source>{name} speaks for {minutes}; click to rename, merge or confirm a recognised voice.</source>
        <translation>{name} spricht {minutes}; klicken, um umzubenennen, zusammenzuführen oder eine erkannte Stimme zu bestätigen.</translation>
    </message>
    <message>
        <source>This is {voice} ({percent} % alike)</source>
        <translation>Das ist {voice} ({percent} % ähnlich)</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Umbenennen…</translation>
    </message>
    <message>
        <source>Merge into</source>
        <translation>Zusammenführen mit</translation>
    </message>
    <message>
        <source>Rename speaker</source>
        <translation>Sprecher umbenennen</translation>
    </message>
    <message>
        <source>Who is {old}? (the voice library remembers the name)</source>
        <translation>Wer ist {old}? (die Stimmbibliothek merkt sich den Namen)</translation>
    </message>
</context>
<context>
    <name>SpectrogramPlot</name>
    <message>
        <source>Spectrogram</source>
        <translation>Spektrogramm</translation>
    </message>
    <message>
        <source>Frequencies of the recording over time; drag to select a span, click to play from there</source>
        <translation>Frequenzen der Aufnahme im Zeitverlauf; ziehen, um einen Abschnitt auszuwählen, klicken, um ab dort abzuspielen</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>Sekunden</translation>
    </message>
    <message>
        <source>Click to seek · drag to select a span · wheel to zoom · right-drag to pan</source>
        <translation>Klicken zum Springen · ziehen zum Auswählen · Mausrad zum Zoomen · mit rechter Taste ziehen zum Verschieben</translation>
    </message>
</context>
<context>
    <name>Status</name>
    <message>
        <source>queued</source>
        <translation>wartet</translation>
    </message>
    <message>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <source>done</source>
        <translation>fertig</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>abgelehnt</translation>
    </message>
    <message>
        <source>transcribing</source>
        <translation>Transkription</translation>
    </message>
    <message>
        <source>finding speakers</source>
        <translation>Sprechersuche</translation>
    </message>
</context>
<context>
    <name>SuggestionRow</name>
    <message>
        <source>Accept</source>
        <translation>Annehmen</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>Ablehnen</translation>
    </message>
    <message>
        <source>This sound is a {label}: keep the label and learn from it.</source>
        <translation>Dieser Klang ist {label}: die Bezeichnung behalten und daraus lernen.</translation>
    </message>
    <message>
        <source>Not a {label}: drop the suggestion.</source>
        <translation>Nicht {label}: den Vorschlag verwerfen.</translation>
    </message>
    <message>
        <source>accepted ✓</source>
        <translation>angenommen ✓</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>abgelehnt</translation>
    </message>
</context>
<context>
    <name>TranscriptEditor</name>
    <message>
        <source>Edit text</source>
        <translation>Text bearbeiten</translation>
    </message>
    <message>
        <source>Transcript</source>
        <translation>Transkript</translation>
    </message>
    <message>
        <source>One row per segment: start, end, speaker and text; edit the text in place</source>
        <translation>Eine Zeile pro Segment: Start, Ende, Sprecher und Text; der Text wird direkt bearbeitet</translation>
    </message>
    <message>
        <source>Segments appear here as they are transcribed.</source>
        <translation>Segmente erscheinen hier, sobald sie transkribiert sind.</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Rückgängig</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Wiederherstellen</translation>
    </message>
    <message>
        <source>Split at the cursor</source>
        <translation>An der Schreibmarke teilen</translation>
    </message>
    <message>
        <source>Merge with the next segment</source>
        <translation>Mit dem nächsten Segment zusammenführen</translation>
    </message>
    <message>
        <source>Delete segment</source>
        <translation>Segment löschen</translation>
    </message>
    <message>
        <source>Start 0.1 s earlier</source>
        <translation>Start 0,1 s früher</translation>
    </message>
    <message>
        <source>Start 0.1 s later</source>
        <translation>Start 0,1 s später</translation>
    </message>
    <message>
        <source>End 0.1 s earlier</source>
        <translation>Ende 0,1 s früher</translation>
    </message>
    <message>
        <source>End 0.1 s later</source>
        <translation>Ende 0,1 s später</translation>
    </message>
    <message>
        <source>Find and replace…</source>
        <translation>Suchen und ersetzen…</translation>
    </message>
    <message>
        <source>Split segment</source>
        <translation>Segment teilen</translation>
    </message>
    <message>
        <source>Merge segments</source>
        <translation>Segmente zusammenführen</translation>
    </message>
    <message>
        <source>Move start {seconds:+.1f} s</source>
        <translation>Start um {seconds:+.1f} s verschieben</translation>
    </message>
    <message>
        <source>Move end {seconds:+.1f} s</source>
        <translation>Ende um {seconds:+.1f} s verschieben</translation>
    </message>
    <message>
        <source>Replace {count} × “{find}”</source>
        <translation>{count} × „{find}“ ersetzen</translation>
    </message>
    <message>
        <source>Play from here</source>
        <translation>Ab hier abspielen</translation>
    </message>
    <message>
        <source>Loop this segment</source>
        <translation>Dieses Segment in Schleife</translation>
    </message>
</context>
<context>
    <name>WatchDialog</name>
    <message>
        <source>Watch a folder</source>
        <translation>Ordner überwachen</translation>
    </message>
    <message>
        <source>Folder to watch</source>
        <translation>Zu überwachender Ordner</translation>
    </message>
    <message>
        <source>the folder where new recordings arrive</source>
        <translation>der Ordner, in dem neue Aufnahmen eintreffen</translation>
    </message>
    <message>
        <source>Output folder</source>
        <translation>Ausgabeordner</translation>
    </message>
    <message>
        <source>where the transcripts go</source>
        <translation>wohin die Transkripte kommen</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Watch</source>
        <translation>Überwachen</translation>
    </message>
    <message>
        <source>Write to</source>
        <translation>Schreiben nach</translation>
    </message>
    <message>
        <source>Files already there are transcribed too, unless this output folder&apos;s ledger says they are done.</source>
        <translation>Bereits vorhandene Dateien werden ebenfalls transkribiert, außer das Verzeichnis dieses Ausgabeordners führt sie als erledigt.</translation>
    </message>
    <message>
        <source>{folder} is not a folder.</source>
        <translation>{folder} ist kein Ordner.</translation>
    </message>
    <message>
        <source>The folder to watch</source>
        <translation>Der zu überwachende Ordner</translation>
    </message>
    <message>
        <source>Choose a folder for the transcripts.</source>
        <translation>Wählen Sie einen Ordner für die Transkripte.</translation>
    </message>
    <message>
        <source>{output} is a file, not a folder.</source>
        <translation>{output} ist eine Datei, kein Ordner.</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
</context>
<context>
    <name>WatchRunner</name>
    <message>
        <source>Watching {folder} → {output}</source>
        <translation>Überwache {folder} → {output}</translation>
    </message>
    <message>
        <source>The watched folder {folder} is not there; it is not watched now.</source>
        <translation>Der überwachte Ordner {folder} ist nicht vorhanden; er wird jetzt nicht mehr überwacht.</translation>
    </message>
    <message>
        <source>It was taken out of the queue before it was transcribed.</source>
        <translation>Die Datei wurde aus der Warteschlange genommen, bevor sie transkribiert wurde.</translation>
    </message>
</context>
<context>
    <name>WaveformStrip</name>
    <message>
        <source>Waveform</source>
        <translation>Wellenform</translation>
    </message>
    <message>
        <source>The recording&apos;s loudness over time; click to play from there</source>
        <translation>Die Lautstärke der Aufnahme im Zeitverlauf; klicken, um ab dort abzuspielen</translation>
    </message>
</context>
<context>
    <name>WordDiffView</name>
    <message>
        <source>different word</source>
        <translation>anderes Wort</translation>
    </message>
    <message>
        <source>only in A</source>
        <translation>nur in A</translation>
    </message>
    <message>
        <source>only in B</source>
        <translation>nur in B</translation>
    </message>
    <message>
        <source>Model A</source>
        <translation>Modell A</translation>
    </message>
    <message>
        <source>Model B</source>
        <translation>Modell B</translation>
    </message>
    <message>
        <source>Words of model A</source>
        <translation>Wörter von Modell A</translation>
    </message>
    <message>
        <source>Words of model B</source>
        <translation>Wörter von Modell B</translation>
    </message>
    <message>
        <source>The words as they are scored: lower case, without punctuation, numbers written as words.</source>
        <translation>Die Wörter so, wie sie bewertet werden: kleingeschrieben, ohne Satzzeichen, Zahlen als Wörter ausgeschrieben.</translation>
    </message>
    <message>
        <source>Select a file to see its words.</source>
        <translation>Wählen Sie eine Datei aus, um ihre Wörter zu sehen.</translation>
    </message>
</context>
</TS>
