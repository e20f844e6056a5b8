# frozen_string_literal: true

# A zone's client certificates with the cfcerts Ruby binding: list them as a table, then the lifecycle of a new
# one (key and CSR generated here, created, read, revoked, reactivated).
#
# Usage: CLOUDFLARE_API_TOKEN=... [CLOUDFLARE_BASE_URL=...] ruby lifecycle.rb ZONE_ID
require "cfcerts"

zone_id = ARGV.fetch(0) { abort "usage: ruby lifecycle.rb ZONE_ID" }

begin
  Cfcerts::Client.open do |client|
    certificates = client.client_certificates
    puts format("%-32s  %-20s  %-24s  %s", "ID", "STATUS", "COMMON NAME", "EXPIRES")
    count = 0
    certificates.each(zone_id) do |certificate|
      expires = certificate.expires_on&.strftime("%Y-%m-%d") || "?"
      puts format("%-32s  %-20s  %-24s  %s", certificate.id, certificate.status, certificate.common_name, expires)
      count += 1
    end
    puts "#{count} certificate(s)"

    generated = Cfcerts.generate_csr("ruby.example.com", organization: "Example Inc", key_type: "p256")
    created = certificates.create(zone_id: zone_id, csr: generated.csr_pem, validity_days: 365)
    puts "created     #{created.id}  CN=#{created.common_name}  expires #{created.expires_on.strftime('%Y-%m-%d')}"
    fetched = certificates.get(created.id, zone_id: zone_id)
    puts "get         #{fetched.id}  status=#{fetched.status}  serial #{fetched.serial_number}"
    puts "revoked     status=#{certificates.revoke(created.id, zone_id: zone_id).status}"
    puts "reactivated status=#{certificates.reactivate(created.id, zone_id: zone_id).status}"
  end
rescue Cfcerts::Error => e
  warn "error: #{e.class.name.split('::').last}: #{e.message}"
  exit 1
end
