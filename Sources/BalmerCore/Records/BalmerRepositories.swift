// The store's interfaces, one protocol per record kind. `PostgresStore` (BalmerStore) and
// `InMemoryStore` implement all of them; method names are distinct so one type can conform to all.

/// Everything the store offers.
public typealias BalmerRepositories = SpectrumRepository & ScoreRepository & LabelRepository & TaskRepository
    & ModelRepository & IterationRepository & RejectRepository & RescoreChunkRepository & CandidateRepository
