import Foundation
import GatewayProtocol
import GatewayTestKit
import XCTest

/// The chat through python-socketio's AsyncClient (another Socket.IO implementation than the project's): join, history,
/// userJoined, send with ack, newMessage, typing, markAsRead, a refused join, deletion. Skipped where python-socketio
/// and aiohttp are not installed (`pip install python-socketio aiohttp`); `.ci/run` installs them.
final class ChatPythonInteropTests: ChatTestCase {
    func testTheChatThroughPythonSocketIO() throws {
        guard run(["python3", "-c", "import socketio, aiohttp"]).status == 0 else {
            throw XCTSkip("python-socketio and aiohttp are not installed")
        }
        try createRoom("py", members: ["alice", "bob"])
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Interop/chat_client.py").path
        let result = run(["python3", script, "http://127.0.0.1:\(gateway.port)", token("alice"), token("bob"), token("carol")])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains(#"{"failures": []}"#), result.output)
    }

    private func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
