extension KafkaProducer {
    /// Encodes `event` and sends it to its topic under its key, with a
    /// `content-type: application/json` header; returns once the broker acknowledged it.
    @discardableResult
    public func send<E: BalmerEvent>(_ event: E, topic: String = E.topic, limits: EventLimits = .default) async throws -> KafkaDeliveryReport {
        let payload = try EventCodec.encode(event, limits: limits)
        return try await send(topic: topic, key: Array(event.key.utf8), value: payload,
                              headers: [KafkaHeader(name: "content-type", string: "application/json")])
    }
}

extension KafkaMessage {
    /// Decodes the value as an event of type `E` (see `EventCodec.decode`).
    public func decode<E: BalmerEvent>(_ type: E.Type, limits: EventLimits = .default) throws(EventDecodingError) -> E {
        try EventCodec.decode(type, from: value, limits: limits)
    }
}
