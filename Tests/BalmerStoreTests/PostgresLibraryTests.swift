import Testing
@testable import BalmerStore

@Suite struct PostgresLibraryTests {
    @Test func linksLibpq() {
        #expect(PostgresLibrary.version >= 100000)
    }
}
