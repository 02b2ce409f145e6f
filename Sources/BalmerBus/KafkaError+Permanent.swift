internal import CRdKafka

extension KafkaError {
    /// Whether sending the same message again can never succeed: the message itself is refused
    /// (too large, invalid, corrupt) or an argument is invalid. Outages, timeouts, unknown topics
    /// during start-up and authorisation problems are NOT permanent here: the operator can fix
    /// those and the sender should wait. Used so that one bad dead letter cannot block a partition.
    public var isPermanentForMessage: Bool {
        let permanent: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, RD_KAFKA_RESP_ERR_INVALID_MSG,
            RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR__BAD_MSG,
            RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__INVALID_TYPE,
        ]
        return permanent.contains { $0.rawValue == code }
    }
}
