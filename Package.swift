// swift-tools-version: 6.2
import PackageDescription

/// Settings every Balmer target shares: Swift 6 mode (the tools default) and warnings as errors.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Balmer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "balmer", targets: ["balmer"]),
        .executable(name: "balmer-bench", targets: ["balmer-bench"]),
        .library(name: "BalmerCore", targets: ["BalmerCore"]),
        .library(name: "BalmerFITS", targets: ["BalmerFITS"]),
        .library(name: "BalmerCNN", targets: ["BalmerCNN"]),
        .library(name: "BalmerStore", targets: ["BalmerStore"]),
        // Also used by the fuzzers' package in Fuzz/ (decoders of events, answer and truth CSVs).
        .library(name: "BalmerBus", targets: ["BalmerBus"]),
        .library(name: "BalmerLabeling", targets: ["BalmerLabeling"]),
        .library(name: "BalmerSimulation", targets: ["BalmerSimulation"]),
        .library(name: "BalmerService", targets: ["BalmerService"]),
        .executable(name: "balmerd", targets: ["balmerd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // balmerd's metrics: the swift-metrics API, exported by swift-prometheus (Atomics + CoreMetrics only).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // balmerd's run loop: a ServiceGroup (graceful shutdown on SIGTERM/SIGINT, SIGHUP as a signal sequence).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Layered configuration (command line, environment, credentials directory, JSON file) behind
        // BalmerService's ConfigReader. Trait: the swift-log access logger (secrets redacted) only;
        // ConfigReader's doc comment says why its JSON and command-line providers are not used.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["Logging"]),
        // Labellers' Ed25519 signatures (BalmerLabeling signs in `balmer label`, verifies in balmerd).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System-library shims: each is imported by exactly one Swift target.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CFITSIO", pkgConfig: "cfitsio", providers: [.apt(["libcfitsio-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // Pure logic: spectra, wavelengths, preprocessing, dataset CSV. No I/O beyond strings, no C.
        .target(name: "BalmerCore", swiftSettings: strict),
        // FITS readers and writers on cfitsio.
        .target(
            name: "BalmerFITS",
            dependencies: ["BalmerCore", "CFITSIO", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Balmer's own AVX-512 and AVX2 GEMM micro-kernels for the convolutions (C with intrinsics, chosen
        // at run time; not a library shim). Optimised in debug builds too: at -O0 every intrinsic
        // spills to memory and the debug daemon the integration tests start trains 30x slower.
        .target(name: "CConvKernel", cSettings: [.unsafeFlags(["-O2"])]),
        // 1-D CNN on OpenBLAS: knows nothing of spectra (uses BalmerCore's SHA-256 only).
        .target(
            name: "BalmerCNN",
            dependencies: ["BalmerCore", "COpenBLAS", "CConvKernel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Synthetic survey: physically motivated spectra and their truth (pure).
        .target(name: "BalmerSimulation", dependencies: ["BalmerCore"], swiftSettings: strict),
        // Active learning: SMOTE, query strategies, precision estimation, the campaign state machine.
        .target(
            name: "BalmerLearning",
            dependencies: ["BalmerCore", "BalmerCNN", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // PostgreSQL store on libpq.
        .target(
            name: "BalmerStore",
            dependencies: ["BalmerCore", "CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Kafka bus on librdkafka.
        .target(
            name: "BalmerBus",
            dependencies: ["BalmerCore", "CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // The labellers' CLI pieces: terminal plots, the task screen, the key state machine, answer files.
        .target(
            name: "BalmerLabeling",
            dependencies: ["BalmerBus", "BalmerCore", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),

        // The daemon's wiring: configuration, ingest pipeline, systemd notify, health/metrics, the
        // swift-service-lifecycle services.
        .target(
            name: "BalmerService",
            dependencies: [
                "BalmerCore", "BalmerFITS", "BalmerCNN", "BalmerStore", "BalmerBus", "BalmerLearning", "BalmerLabeling",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "balmerd",
            dependencies: [
                "BalmerService", "BalmerCNN", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "balmer",
            dependencies: [
                "BalmerCore", "BalmerFITS", "BalmerCNN", "BalmerSimulation", "BalmerLearning", "BalmerStore", "BalmerBus",
                "BalmerService", "BalmerLabeling",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "balmer-bench",
            dependencies: [
                "BalmerCore", "BalmerFITS", "BalmerCNN", "BalmerSimulation", "BalmerLearning", "BalmerStore",
                "BalmerBus", "BalmerService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // Helpers shared by the test targets: built products, command runner, real data.
        .target(name: "BalmerTestSupport", path: "Tests/BalmerTestSupport", swiftSettings: strict),
        .testTarget(name: "BalmerCoreTests", dependencies: ["BalmerCore"], swiftSettings: strict),
        .testTarget(
            name: "BalmerFITSTests", dependencies: ["BalmerFITS", "BalmerCore", "BalmerSimulation", "BalmerTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "BalmerCNNTests", dependencies: ["BalmerCNN", "BalmerCore"], swiftSettings: strict),
        .testTarget(
            name: "BalmerSimulationTests", dependencies: ["BalmerSimulation", "BalmerCore"],
            swiftSettings: strict),
        .testTarget(
            name: "BalmerLearningTests", dependencies: ["BalmerLearning", "BalmerCore", "BalmerCNN"],
            swiftSettings: strict),
        .testTarget(name: "BalmerStoreTests", dependencies: ["BalmerStore", "BalmerCore"], swiftSettings: strict),
        .testTarget(name: "BalmerBusTests", dependencies: ["BalmerBus", "BalmerTestSupport"], swiftSettings: strict),
        // The daemon tests' harness (mock cluster, schema, synthetic files, a real `balmerd` child),
        // shared by the service tests and the fault matrix.
        .target(
            name: "BalmerDaemonTestSupport",
            dependencies: ["BalmerBus", "BalmerStore", "BalmerFITS", "BalmerCNN", "BalmerCore", "BalmerTestSupport",
                           .product(name: "Logging", package: "swift-log")],
            path: "Tests/BalmerDaemonTestSupport", swiftSettings: strict),
        .testTarget(
            name: "BalmerServiceTests",
            dependencies: ["BalmerService", "BalmerBus", "BalmerStore", "BalmerFITS", "BalmerCNN", "BalmerCore", "BalmerTestSupport",
                           "BalmerDaemonTestSupport", "BalmerLabeling",
                           .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle")],
            swiftSettings: strict),
        // The fault matrix (ops/chaos): two balmerd under broker, request, database and process faults.
        // Needs the throw-away cluster ops/chaos starts (it restarts it), so ops/test skips it.
        .testTarget(
            name: "BalmerChaosTests",
            dependencies: ["BalmerBus", "BalmerStore", "BalmerCore", "BalmerTestSupport", "BalmerDaemonTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "BalmerLabelingTests", dependencies: ["BalmerLabeling", "BalmerBus"], swiftSettings: strict),
        .testTarget(
            name: "BalmerCLITests", dependencies: ["BalmerCore", "BalmerFITS", "BalmerCNN", "BalmerTestSupport"], swiftSettings: strict),
    ]
)
