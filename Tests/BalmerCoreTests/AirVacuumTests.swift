import Testing
@testable import BalmerCore

@Suite struct AirVacuumTests {
    /// Test vectors from formats.md §4.4.
    @Test(arguments: [(6562.800, 6564.6130), (6519.000, 6520.8012), (6732.000, 6733.8585), (6056.125, 6057.8019)])
    func airToVacuum(air: Double, vacuum: Double) {
        #expect(abs(AirVacuum.vacuum(fromAir: air) - vacuum) < 1e-4)
    }

    @Test(arguments: [(6564.610, 6562.7970), (6519.000, 6517.1993), (6732.000, 6730.1420)])
    func vacuumToAir(vacuum: Double, air: Double) {
        #expect(abs(AirVacuum.air(fromVacuum: vacuum) - air) < 1e-4)
    }

    @Test func roundTripIsExact() {
        for lambda in stride(from: 6250.0, through: 6750.0, by: 7.3) {
            #expect(abs(AirVacuum.air(fromVacuum: AirVacuum.vacuum(fromAir: lambda)) - lambda) < 1e-7)
        }
    }
}
