// swift-tools-version:6.0
// FitMate Gateway. No package dependencies by design: system C libraries only, through the C shim targets below.
import PackageDescription


let package = Package(
    name: "fitmate-gateway",
    products: [
        .executable(name: "fitmate-gateway", targets: ["fitmate-gateway"]),
        .library(name: "GatewayProtocol", targets: ["GatewayProtocol"]),
    ],
    targets: [
        // C shims: what Glibc and the system libraries' macros do not export to Swift.
        .target(name: "CLinux", path: "Sources/CLinux"),
        .target(name: "COpenSSL", path: "Sources/COpenSSL",
                linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "CZlib", path: "Sources/CZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CCurl", path: "Sources/CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CSQLite", path: "Sources/CSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),

        // Layers, bottom up; each depends only on the ones below it.
        .target(name: "EventLoop", dependencies: ["CLinux", "COpenSSL"], exclude: ["README.md"]),
        .target(name: "HTTP", dependencies: ["EventLoop", "CZlib"]),
        .target(name: "WebSocket", dependencies: ["HTTP", "EventLoop", "CZlib", "COpenSSL"]),
        .target(name: "GatewayProtocol", path: "Protocol"),
        .target(name: "Gateway", dependencies: ["HTTP", "EventLoop", "WebSocket", "GatewayProtocol", "CSQLite", "CCurl"]),
        .executableTarget(name: "fitmate-gateway", dependencies: ["Gateway"]),

        // Test-only helpers (blocking clients, certificates made at test time); never shipped.
        .target(name: "TestSupport", dependencies: ["EventLoop"], path: "Tests/TestSupport"),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "EventLoop", "TestSupport"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "HTTP", "EventLoop", "TestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "HTTP", "EventLoop", "TestSupport"]),
    ]
)
