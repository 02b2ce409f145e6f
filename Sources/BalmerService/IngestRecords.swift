public import BalmerBus
public import BalmerCore
import Foundation

/// The rows the ingest pipeline makes of one `balmer.spectra` message, in one place, so the
/// pipeline and the store fuzzer (`Fuzz/Sources/FuzzStore`) build exactly the same ones.
///
/// A message either decodes (``SpectrumEvent``: identifiers NFC, bounded in bytes, free of control
/// characters) and, once its file is read, becomes a ``SpectrumRecord``; or it becomes a
/// ``RejectRecord`` (printable bounded key, capped payload) and a ``DeadLetterEvent``.
public enum IngestRecords {
    /// The longest designation taken from a FITS header, in UTF-8 bytes (an event's own is
    /// bounded by the event limits).
    public static let maxHeaderDesignationBytes = 256

    /// The spectrum row of an accepted event: the event's position, date and designation, else the
    /// file header's. A header designation is made printable and bounded (FITS headers are
    /// untrusted input too).
    public static func spectrum(_ event: SpectrumEvent, metadata: SpectrumMetadata?, features: [Float]) -> SpectrumRecord {
        let headerDesignation = metadata?.designation.map {
            RejectKey.printableText($0, maxBytes: maxHeaderDesignationBytes)
        }.flatMap { $0.isEmpty ? nil : $0 }
        return SpectrumRecord(
            key: SpectrumKey(survey: event.survey, release: event.release, key: event.spectrumID),
            ra: event.ra ?? metadata?.ra, dec: event.dec ?? metadata?.dec, mjd: event.mjd ?? metadata?.mjd,
            designation: event.designation ?? headerDesignation, location: event.location, features: features)
    }

    /// The reject and dead letter of a message that did not decode.
    public static func undecodable(_ message: KafkaMessage, error: EventDecodingError) -> (RejectRecord, DeadLetterEvent) {
        (RejectRecord(message: message, reason: error.code), DeadLetterEvent(message: message, error: error))
    }

    /// The reject and dead letter of a decoded event whose file was refused (`code`, `reason`).
    public static func refusedFile(_ message: KafkaMessage, event: SpectrumEvent, code: String, reason: String,
                                   source: String) -> (RejectRecord, DeadLetterEvent) {
        (RejectRecord(source: source, rawKey: Array(event.spectrumID.utf8), reason: code, payload: message.value),
         DeadLetterEvent(message: message, code: code, reason: reason))
    }
}
