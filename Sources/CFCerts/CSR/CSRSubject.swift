/// The subject of a certificate signing request: the fields the API copies into a client certificate.
public struct CSRSubject: Sendable, Hashable, Codable {
    /// CN, required.
    public var commonName: String
    /// O
    public var organization: String?
    /// OU
    public var organizationalUnit: String?
    /// C, two letters.
    public var country: String?
    /// ST
    public var state: String?
    /// L
    public var locality: String?

    public init(commonName: String, organization: String? = nil, organizationalUnit: String? = nil,
                country: String? = nil, state: String? = nil, locality: String? = nil) {
        self.commonName = commonName
        self.organization = organization
        self.organizationalUnit = organizationalUnit
        self.country = country
        self.state = state
        self.locality = locality
    }

    enum CodingKeys: String, CodingKey {
        case commonName = "common_name"
        case organization
        case organizationalUnit = "organizational_unit"
        case country, state
        case locality = "location"
    }
}
