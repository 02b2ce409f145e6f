import Testing
@testable import BalmerCNN

@Suite struct BLASThreadsTests {
    @Test func setsThreadCount() {
        BLASThreads.set(1)
        #expect(BLASThreads.current == 1)
    }
}
