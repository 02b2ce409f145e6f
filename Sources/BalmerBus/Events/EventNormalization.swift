import Foundation

/// Unicode normalisation of the identifiers events carry. `"é"` may arrive precomposed (U+00E9)
/// or decomposed (`e` + U+0301); the database compares bytes, so both would be stored as two
/// different spectra. Every identifier used as a key is turned into NFC (canonical composition)
/// when an event is decoded, before the limits are checked and before anything uses it.
extension String {
    /// The NFC form (canonical decomposition, then canonical composition).
    public var nfc: String { precomposedStringWithCanonicalMapping }
}

extension SpectrumEvent {
    /// `spectrum_id`, `survey`, `release` and `designation` in NFC (the natural key and the name
    /// shown to labellers). `location` is a path and stays byte for byte.
    public mutating func normalize() {
        spectrumID = spectrumID.nfc
        survey = survey.nfc
        release = release.nfc
        designation = designation?.nfc
    }
}

extension LabelEvent {
    /// `task_id`, `spectrum_id`, `labeller` and `corrects` in NFC (all keys into the database).
    public mutating func normalize() {
        taskID = taskID.nfc
        spectrumID = spectrumID.nfc
        labeller = labeller.nfc
        corrects = corrects?.nfc
    }
}
