import Testing
import BalmerCNN

@Suite struct BLASCoreTests {
    @Test func asksForFastKernelsAndShortSpinWhenUnset() {
        #expect(BLASCore.environmentChanges([:], better: "Haswell")
            == ["OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_THREAD_TIMEOUT": "4"])
        #expect(BLASCore.environmentChanges(["PATH": "/bin"], better: nil) == ["OPENBLAS_THREAD_TIMEOUT": "4"])
    }

    @Test func theUsersChoicesWin() {
        #expect(BLASCore.environmentChanges(["OPENBLAS_CORETYPE": "Prescott"], better: "SkylakeX")
            == ["OPENBLAS_THREAD_TIMEOUT": "4"])
        #expect(BLASCore.environmentChanges(["OPENBLAS_THREAD_TIMEOUT": "28"], better: nil).isEmpty)
        #expect(BLASCore.environmentChanges(["GOTO_THREAD_TIMEOUT": "10"], better: "Haswell")
            == ["OPENBLAS_CORETYPE": "Haswell"])
    }

    @Test func nothingToDoOnceSet() {
        // After the re-exec both are set, so the program does not exec again.
        #expect(BLASCore.environmentChanges(["OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_THREAD_TIMEOUT": "4"],
                                            better: "Haswell").isEmpty)
    }
}
