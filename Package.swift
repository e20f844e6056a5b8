// swift-tools-version:6.3
// 6.3: the C facade's `@c @implementation` functions (SE-0495) need it.
import PackageDescription

let package = Package(
    name: "cfcerts",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CFCerts", targets: ["CFCerts"]),
        // The C ABI as libcfcerts-c.so (`make lib` builds the shipped, self-contained copy and stages it as
        // libcfcerts.so.VERSION; the plain name belongs to the `cfcerts` command).
        .library(name: "cfcerts-c", type: .dynamic, targets: ["CFCertsABI"]),
        .library(name: "CFCertsEmulator", targets: ["CFCertsEmulator"]),
        .executable(name: "cfcerts", targets: ["cfcerts"]),
        .executable(name: "cfcerts-emulator", targets: ["cfcerts-emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Swift core SDK: configuration, transport, retries, models, pagination, CSR helper.
        .target(
            name: "CFCerts",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // include/cfcerts.h, so Swift can check the C ABI against the header.
        .systemLibrary(name: "CCFCerts", path: "include"),
        // The C facade only: @c @implementation functions, handles, errors, the blocking bridge.
        .target(
            name: "CFCertsABI",
            dependencies: ["CFCerts", "CCFCerts", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        // The system SQLite (libsqlite3-dev), for the emulator's --state database.
        .systemLibrary(name: "CSQLite3", providers: [.apt(["libsqlite3-dev"])]),
        // Local Cloudflare-compatible API server. Never imports CFCerts: an independent implementation.
        .target(
            name: "CFCertsEmulator",
            dependencies: [
                "CSQLite3",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The command-line tool: everything the core does, for people at a terminal and for scripts.
        .executableTarget(
            name: "cfcerts",
            dependencies: [
                "CFCerts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "CLibYAML",
            ]
        ),
        // libyaml's parser (Expat licence; the copy Yams 6.2.2 carries), which reads the CLI's YAML fleet manifests: the
        // parser PyYAML and Ruby's Psych use too. Taken in as C, not through Yams, whose Foundation import would
        // link ICU into the command (31 MB became 77 MB).
        .target(
            name: "CLibYAML",
            exclude: ["LICENSE"],
            cSettings: [.define("YAML_DECLARE_STATIC")]
        ),
        .executableTarget(
            name: "cfcerts-emulator",
            dependencies: [
                "CFCertsEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The fuzz targets: replays the corpora when built plainly (`make test`), libFuzzer with -DFUZZING (`make fuzz`).
        .executableTarget(
            name: "cfcerts-fuzz",
            dependencies: ["CFCerts", "CFCertsABI", "CCFCerts", "CFCertsEmulator"]
        ),
        // examples/swift: the lifecycle with the Swift API (run by `make demo`).
        .executableTarget(
            name: "cfcerts-swift-example",
            dependencies: ["CFCerts"],
            path: "examples/swift"
        ),
        // bench/swift: the Swift API's side of `make bench`.
        .executableTarget(
            name: "cfcerts-bench",
            dependencies: ["CFCerts"],
            path: "bench/swift"
        ),
        // Helpers shared by the test targets (openssl runner).
        .target(
            name: "CFCertsTestSupport",
            path: "Tests/CFCertsTestSupport"
        ),
        .testTarget(
            name: "CFCertsEmulatorTests",
            dependencies: [
                "CFCertsEmulator",
                "CFCertsTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CFCertsABITests",
            dependencies: ["CFCertsABI", "CCFCerts", "CFCertsTestSupport"]
        ),
        .testTarget(
            name: "CFCertsTests",
            dependencies: [
                "CFCerts",
                "CFCertsEmulator",
                "CFCertsTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
    ]
)
