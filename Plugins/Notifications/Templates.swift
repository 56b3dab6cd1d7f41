import GatewayProtocol

/// Notification texts by template name and locale, with `{name}` placeholders filled from the caller's parameters.
struct Templates: Sendable {
    struct Text: Sendable, Equatable {
        let title: String
        let message: String
    }

    /// template → locale → text.
    private let table: [String: [String: Text]]
    let defaultLocale: String

    /// The defaults, overridden and extended by the configured section (`templates.<name>.<locale>.{title,message}`).
    init(configured: JSONObject?, defaultLocale: String) throws(ModuleError) {
        var table: [String: [String: Text]] = [:]
        for section in [DefaultTemplates.section, configured ?? [:]] {
            for (name, locales) in section {
                guard case .object(let locales) = locales else {
                    throw ModuleError("templates.\(name): expected an object of locales ({\"ko\": {\"title\", \"message\"}})")
                }
                for (locale, text) in locales {
                    let path = "templates.\(name).\(locale)"
                    guard let title = text["title"]?.stringValue, !title.isEmpty else { throw ModuleError("\(path).title: expected a string") }
                    guard let message = text["message"]?.stringValue, !message.isEmpty else {
                        throw ModuleError("\(path).message: expected a string")
                    }
                    table[name, default: [:]][locale] = Text(title: title, message: message)
                }
            }
        }
        if let name = table.keys.sorted().first(where: { table[$0]?[defaultLocale] == nil }) {
            throw ModuleError("templates.\(name): no text for the default locale \(defaultLocale)")
        }
        self.table = table
        self.defaultLocale = defaultLocale
    }

    var names: [String] { table.keys.sorted() }

    /// The text for `locale` (`en-US` falls back to `en`, then to the default locale), placeholders filled.
    func render(_ name: String, locale: String?, parameters: [String: String]) throws(ModuleError) -> Text {
        guard let locales = table[name] else {
            throw invalid("template: unknown template \(name) (known: \(names.joined(separator: ", ")))")
        }
        let language = locale.flatMap { $0.split(separator: "-").first.map(String.init) }
        let text = locale.flatMap { locales[$0] } ?? language.flatMap { locales[$0] } ?? locales[defaultLocale]!
        return Text(title: try fill(text.title, name, parameters), message: try fill(text.message, name, parameters))
    }

    private func fill(_ text: String, _ template: String, _ parameters: [String: String]) throws(ModuleError) -> String {
        if let missing = TextTemplate.placeholders(text).first(where: { parameters[$0] == nil }) {
            throw invalid("parameters.\(missing) is required by template \(template)")
        }
        return TextTemplate.fill(text, parameters)
    }
}
