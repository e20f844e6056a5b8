# frozen_string_literal: true

module Cfcerts
  # A CA's hostnames, as the API answered them.
  HostnameAssociation = Struct.new(:hostnames, keyword_init: true)

  # /zones/{zone_id}/certificate_authorities.
  class CertificateAuthorities
    attr_reader :hostname_associations

    def initialize(client)
      @hostname_associations = HostnameAssociations.new(client)
    end
  end

  # /zones/{zone_id}/certificate_authorities/hostname_associations: the hostnames on which Cloudflare's edge asks
  # clients for a certificate of a CA, under the official SDKs' names. mtls_certificate_id nil is the
  # Cloudflare-managed CA (the CA of every certificate client_certificates.create issues); otherwise the
  # 36-character id of a CA uploaded to mTLS certificate management. Each CA has one list per zone.
  class HostnameAssociations
    def initialize(client)
      @client = client
    end

    # The CA's hostnames.
    def get(zone_id:, mtls_certificate_id: nil)
      association(@client.call_json(:cfcerts_hostname_associations_get, Arguments.text(zone_id, "zone_id"),
                                    Arguments.optional_text(mtls_certificate_id, "mtls_certificate_id")))
    end

    # Replaces the CA's whole list with hostnames ([] removes them all); the list answered.
    def update(zone_id:, hostnames:, mtls_certificate_id: nil)
      change(:cfcerts_hostname_associations_update, zone_id, hostnames, mtls_certificate_id)
    end

    # Adds hostnames (one already there in any letter case is not added twice): reads the list, then replaces it
    # with the union. The list answered.
    def add(zone_id:, hostnames:, mtls_certificate_id: nil)
      change(:cfcerts_hostname_associations_add, zone_id, hostnames, mtls_certificate_id)
    end

    # Removes hostnames (compared without letter case), as add does. The list answered.
    def remove(zone_id:, hostnames:, mtls_certificate_id: nil)
      change(:cfcerts_hostname_associations_remove, zone_id, hostnames, mtls_certificate_id)
    end

    private

    def change(function, zone_id, hostnames, mtls_certificate_id)
      raise InvalidArgument, "hostnames must be an Array of hostnames" unless hostnames.is_a?(Array)

      names = hostnames.each_with_index.map { |name, index| Arguments.text(name, "hostnames[#{index}]") }
      params = Arguments.json_object({ hostnames: names, mtls_certificate_id: mtls_certificate_id },
                                     "hostname_associations")
      association(@client.call_json(function, Arguments.text(zone_id, "zone_id"), params))
    end

    def association(fields)
      HostnameAssociation.new(hostnames: Array(fields["hostnames"]).map(&:freeze).freeze).freeze
    end
  end
end
