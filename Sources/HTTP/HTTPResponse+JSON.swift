/// Convenience constructors for the common response shapes, so every error the gateway emits has the same JSON form.
extension HTTPResponse {
    /// `utf8JSON` is sent as is; it is the caller's already-serialised document.
    public static func json(_ status: Int = 200, _ utf8JSON: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: Array(utf8JSON.utf8))
    }

    /// A 200 JSON response. Needed alongside `json(_:_:)`: Swift matches unlabeled arguments left to right, so its
    /// defaulted leading `status` cannot actually be omitted (`.json("{}")` would not compile without this overload).
    public static func json(_ utf8JSON: String) -> HTTPResponse { json(200, utf8JSON) }

    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// `{"error":"<reason phrase>","message":"<message>","status":N}`, with `,"code":"<code>"` when a machine-readable
    /// reason is given; `message` may contain anything, it is escaped.
    public static func error(_ status: Int, _ message: String, code: String? = nil) -> HTTPResponse {
        var doc = "{\"error\":"
        appendJSONString(HTTPStatus.reasonPhrase(status), to: &doc)
        doc += ",\"message\":"
        appendJSONString(message, to: &doc)
        doc += ",\"status\":" + String(status)
        if let code {
            doc += ",\"code\":"
            appendJSONString(code, to: &doc)
        }
        return json(status, doc + "}")
    }

    /// A 405 carrying the `Allow` field RFC 9110 §15.5.6 requires, e.g. from `RouteResult.methodNotAllowed(allowed:)`.
    public static func methodNotAllowed(allowed: [String]) -> HTTPResponse {
        var r = error(405, "method not allowed")
        r.headers.set("Allow", allowed.joined(separator: ", "))
        return r
    }
}

/// Appends `s` as a quoted JSON string (RFC 8259 §7): quote, backslash and every control character are escaped.
func appendJSONString(_ s: String, to out: inout String) {
    out.append("\"")
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{00}"..."\u{1F}":
            let hex = Array("0123456789abcdef".utf8)
            let v = Int(scalar.value)
            out += "\\u00"
            out.unicodeScalars.append(Unicode.Scalar(hex[v >> 4]))
            out.unicodeScalars.append(Unicode.Scalar(hex[v & 0xF]))
        default: out.unicodeScalars.append(scalar)
        }
    }
    out.append("\"")
}
