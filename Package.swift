// swift-tools-version:6.0
// FitMate Gateway. No package dependencies by design: system C libraries only, through the C shim targets below.
import PackageDescription

/// Release builds of the hot-path layers skip the runtime exclusivity checks, which cost about 12% of the instructions
/// of an HTTP request in a callgrind profile (and ~2% of a Socket.IO event in the Gateway runtime's per-socket queue);
/// debug builds (and so the tests) keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]


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
        .target(name: "EventLoop", dependencies: ["CLinux", "COpenSSL"], exclude: ["README.md"], swiftSettings: hotPath),
        .target(name: "HTTP", dependencies: ["EventLoop", "CZlib"], exclude: ["README.md"], swiftSettings: hotPath),
        .target(name: "WebSocket", dependencies: ["HTTP", "EventLoop", "CZlib", "COpenSSL"], exclude: ["README.md"],
                swiftSettings: hotPath),
        .target(name: "EngineIO", dependencies: ["HTTP", "WebSocket", "EventLoop", "GatewayProtocol"], exclude: ["README.md"], swiftSettings: hotPath),
        .target(name: "GatewayProtocol", path: "Protocol", exclude: ["README.md"], swiftSettings: hotPath),
        .target(name: "SocketIO", dependencies: ["EngineIO", "HTTP", "GatewayProtocol", "EventLoop"], exclude: ["README.md"],
                swiftSettings: hotPath),
        .target(name: "Gateway", dependencies: ["HTTP", "EventLoop", "WebSocket", "EngineIO", "SocketIO", "GatewayProtocol", "CSQLite", "CCurl", "COpenSSL"],
                exclude: ["README.md"], swiftSettings: hotPath),
        // Handler modules: each depends on the contract only.
        .target(name: "Bench", dependencies: ["GatewayProtocol"], path: "Plugins/Bench"),
        .target(name: "Notifications", dependencies: ["GatewayProtocol"], path: "Plugins/Notifications", exclude: ["README.md"]),
        .target(name: "SMS", dependencies: ["GatewayProtocol"], path: "Plugins/SMS", exclude: ["README.md"]),
        .target(name: "Chat", dependencies: ["GatewayProtocol"], path: "Plugins/Chat", exclude: ["README.md"]),
        .target(name: "SocketIOClient", dependencies: ["SocketIO", "EngineIO", "WebSocket", "EventLoop", "GatewayProtocol"],
                exclude: ["README.md"], swiftSettings: hotPath),
        .target(name: "Reminders", dependencies: ["GatewayProtocol"], path: "Plugins/Reminders", exclude: ["README.md"]),
        .executableTarget(name: "fitmate-gateway", dependencies: ["Gateway", "Bench", "Chat", "Notifications", "SMS", "Reminders"]),
        .executableTarget(name: "gateway-bench", dependencies: ["WebSocket", "HTTP", "EventLoop", "SocketIOClient", "GatewayProtocol"],
                          swiftSettings: hotPath),

        // Test-only helpers (blocking clients, certificates made at test time); never shipped.
        .target(name: "TestSupport", dependencies: ["EventLoop"], path: "Tests/TestSupport"),
        // An in-process gateway with modules, tokens, and Socket.IO spoken frame by frame: for module tests.
        .target(name: "GatewayTestKit", dependencies: ["Gateway", "GatewayProtocol", "EventLoop", "WebSocket", "HTTP", "TestSupport"],
                path: "Tests/GatewayTestKit"),
        // A handler module built only against the contract, for the runtime's tests.
        .target(name: "ExampleModule", dependencies: ["GatewayProtocol"], path: "Tests/ExampleModule"),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "EventLoop", "TestSupport"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "HTTP", "EventLoop", "TestSupport"]),
        .testTarget(name: "EngineIOTests", dependencies: ["EngineIO", "HTTP", "WebSocket", "EventLoop", "TestSupport"]),
        .testTarget(name: "SocketIOTests", dependencies: ["SocketIO", "EngineIO", "HTTP", "GatewayProtocol", "EventLoop", "TestSupport"]),
        .testTarget(name: "SocketIOClientTests", dependencies: ["SocketIOClient", "SocketIO", "EngineIO", "HTTP", "EventLoop",
                                                              "GatewayProtocol", "TestSupport"]),
        .testTarget(name: "ProtocolTests", dependencies: ["GatewayProtocol"]),
        .testTarget(name: "RemindersTests", dependencies: ["Reminders", "SMS", "Gateway", "GatewayProtocol", "GatewayTestKit", "TestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "HTTP", "EventLoop", "WebSocket", "TestSupport",
                                                        "GatewayTestKit", "ExampleModule", "GatewayProtocol", "Bench",
                                                        "Notifications", "SMS", "Reminders"]),
        .testTarget(name: "SMSTests", dependencies: ["SMS", "GatewayProtocol", "GatewayTestKit", "Gateway", "HTTP", "EventLoop",
                                                    "TestSupport"]),
        .testTarget(name: "NotificationsTests", dependencies: ["Notifications", "GatewayTestKit", "GatewayProtocol", "Gateway",
                                                              "TestSupport", "EventLoop", "WebSocket", "SMS"]),
        .testTarget(name: "ChatTests", dependencies: ["Chat", "GatewayProtocol", "GatewayTestKit", "Gateway", "TestSupport",
                                                     "EventLoop", "WebSocket", "SocketIOClient", "Notifications"], exclude: ["Interop"]),
    ]
)
