# frozen_string_literal: true

require "time"

module Cfcerts
  # An API Shield mTLS client certificate: every field of the API, dates as Time (UTC), and #raw, the Hash the
  # server sent (fields this version does not know included). Frozen.
  ClientCertificate = Struct.new(
    :id, :certificate, :certificate_authority, :common_name, :country, :csr, :expires_on, :fingerprint_sha256,
    :issued_on, :location, :organization, :organizational_unit, :serial_number, :signature, :ski, :state,
    :status, :validity_days, :raw, keyword_init: true
  ) do
    def self.from_json(raw)
      text = ->(key) { raw[key].is_a?(String) ? raw[key].freeze : "" }
      authority = raw["certificate_authority"].is_a?(Hash) ? raw["certificate_authority"] : {}
      days = raw["validity_days"]
      new(id: text["id"], certificate: text["certificate"],
          certificate_authority: CertificateAuthority.new(id: authority["id"].to_s, name: authority["name"].to_s).freeze,
          common_name: text["common_name"], country: text["country"], csr: text["csr"],
          expires_on: Cfcerts.parse_time(raw["expires_on"]), fingerprint_sha256: text["fingerprint_sha256"],
          issued_on: Cfcerts.parse_time(raw["issued_on"]), location: text["location"],
          organization: text["organization"], organizational_unit: text["organizational_unit"],
          serial_number: text["serial_number"], signature: text["signature"], ski: text["ski"],
          state: text["state"], status: text["status"], validity_days: days.is_a?(Integer) ? days : nil,
          raw: Cfcerts.deep_freeze(raw)).freeze
    end

    def active? = status == "active"

    # Without the PEM blobs, which drown everything else.
    def inspect
      "#<Cfcerts::ClientCertificate id=#{id.inspect} status=#{status.inspect} common_name=#{common_name.inspect} " \
        "expires_on=#{expires_on.inspect}>"
    end
    alias_method :to_s, :inspect
  end

  CertificateAuthority = Struct.new(:id, :name, keyword_init: true)

  ResultInfo = Struct.new(:page, :per_page, :count, :total_count, :total_pages, keyword_init: true)

  # One page of a listing: #result (the certificates, frozen) and #result_info, as the API names them.
  CertificatePage = Struct.new(:result, :result_info, keyword_init: true) do
    include Enumerable

    def each(&block) = result.each(&block)

    def self.from_json(raw)
      info = raw["result_info"]
      number = ->(key) { info[key].is_a?(Integer) ? info[key] : nil }
      result_info = info.is_a?(Hash) ? ResultInfo.new(page: number["page"], per_page: number["per_page"],
                                                      count: number["count"], total_count: number["total_count"],
                                                      total_pages: number["total_pages"]).freeze : nil
      new(result: (raw["result"] || []).map { |item| ClientCertificate.from_json(item) }.freeze,
          result_info: result_info).freeze
    end
  end

  # A new private key (PEM: keep it secret) and its certificate signing request (PEM).
  GeneratedCSR = Struct.new(:private_key_pem, :csr_pem, :key_type, keyword_init: true) do
    def inspect = "#<Cfcerts::GeneratedCSR key_type=#{key_type.inspect}>"
    alias_method :to_s, :inspect
  end

  # A date as a UTC Time; a date without an offset is taken as UTC (as the API's dates are), not as local time.
  def self.parse_time(text)
    return nil unless text.is_a?(String) && !text.empty?

    text = "#{text}Z" unless text.match?(/(?:Z|[+-]\d\d:?\d\d)\z/i)
    Time.iso8601(text).utc.freeze
  rescue ArgumentError
    nil
  end

  def self.deep_freeze(value)
    case value
    when Hash then value.each_value { |item| deep_freeze(item) }
    when Array then value.each { |item| deep_freeze(item) }
    end
    value.freeze
  end
end
