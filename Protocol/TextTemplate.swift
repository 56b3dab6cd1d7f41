/// `{name}` placeholders in the texts modules send (notification, SMS and reminder templates from configuration).
///
/// A placeholder is a non-empty run of letters, digits and `_` between braces; any other brace is literal text, so a
/// template may contain `{` or `{}` as written.
public enum TextTemplate {
    /// The placeholder names in `template`, in order (a repeated name appears each time).
    public static func placeholders(_ template: String) -> [String] {
        var names: [String] = []
        scan(template, literal: { _ in }, placeholder: { names.append(String($0)) })
        return names
    }

    /// `template` with each placeholder that has a value replaced by it; a placeholder without one stays as written.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var output = ""
        scan(template, literal: { output += $0 }, placeholder: { name in
            if let value = values[String(name)] { output += value } else { output += "{\(name)}" }
        })
        return output
    }

    private static func scan(_ template: String, literal: (Substring) -> Void, placeholder: (Substring) -> Void) {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            literal(rest[..<open])
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}"), case let name = rest[afterOpen..<close], !name.isEmpty,
                  name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                literal("{")
                rest = rest[afterOpen...]
                continue
            }
            placeholder(name)
            rest = rest[rest.index(after: close)...]
        }
        literal(rest)
    }
}
