// swift-tools-version:6.3
// make test-zig-route's fixture (scripts/run-zig-route-test.sh): a small library linked the way the zig route links
// the shipped one, calling what that route has to pin below the glibc 2.28 floor.
import PackageDescription

let package = Package(
    name: "zig-route",
    products: [.library(name: "ZigRoute", type: .dynamic, targets: ["ZigRoute"])],
    targets: [
        .target(name: "CZigRoute"),
        .target(name: "ZigRoute", dependencies: ["CZigRoute"]),
    ]
)
