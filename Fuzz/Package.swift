// swift-tools-version: 6.2
import Foundation
import PackageDescription

// libFuzzer targets for Balmer's decoders of untrusted bytes. Kept out of the main package so
// `swift build` there needs no sanitizer flags. Build and run with ops/fuzz (see Fuzz/README.md):
//   swift build --package-path Fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address

/// The root package is referred to by its identity, the name of the folder holding it
/// (`main`, `wt-fuzz`, the CI checkout's name…), not by its manifest name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

func balmer(_ product: String) -> Target.Dependency {
    .product(name: product, package: root)
}

let package = Package(
    name: "BalmerFuzz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fuzz-fits", targets: ["FuzzFITS"]),
        .executable(name: "fuzz-events", targets: ["FuzzEvents"]),
        .executable(name: "fuzz-model", targets: ["FuzzModel"]),
        .executable(name: "fuzz-csv", targets: ["FuzzCSV"]),
        .executable(name: "fuzz-store", targets: ["FuzzStore"]),
    ],
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        // Declares libFuzzer's driver entry (the library itself comes with -sanitize=fuzzer).
        .target(name: "CLibFuzzer"),
        // The driver, invariant checks and seed writing shared by every fuzzer.
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], swiftSettings: strict),
        .executableTarget(
            name: "FuzzFITS",
            dependencies: ["FuzzSupport", balmer("BalmerFITS"), balmer("BalmerCore"), balmer("BalmerSimulation")],
            swiftSettings: strict),
        .executableTarget(
            name: "FuzzEvents", dependencies: ["FuzzSupport", balmer("BalmerBus")], swiftSettings: strict),
        .executableTarget(
            name: "FuzzModel", dependencies: ["FuzzSupport", balmer("BalmerCNN")], swiftSettings: strict),
        .executableTarget(
            name: "FuzzCSV",
            dependencies: [
                "FuzzSupport", balmer("BalmerCore"), balmer("BalmerLabeling"), balmer("BalmerSimulation"),
                balmer("BalmerBus"),
            ],
            swiftSettings: strict),
        // Needs a PostgreSQL (ops/fuzz starts one): what the door admits must be storable.
        .executableTarget(
            name: "FuzzStore",
            dependencies: ["FuzzSupport", balmer("BalmerBus"), balmer("BalmerCore"), balmer("BalmerStore"), balmer("BalmerService")],
            swiftSettings: strict),
    ]
)
