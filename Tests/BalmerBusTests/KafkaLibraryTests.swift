import Testing
@testable import BalmerBus

@Suite struct KafkaLibraryTests {
    @Test func linksLibrdkafkaTwo() {
        #expect(KafkaLibrary.version.hasPrefix("2."))
    }
}
