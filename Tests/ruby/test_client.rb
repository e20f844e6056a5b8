# frozen_string_literal: true

require_relative "helper"
require "open3"
require "tmpdir"

class ClientTest < Minitest::Test
  include EmulatorHelper

  def test_lifecycle_with_a_generated_key
    zone = new_zone
    Cfcerts::Client.open(api_token: TOKEN, base_url: base_url) do |client|
      generated = Cfcerts.generate_csr("rb.example.com", organization: "Example Inc", country: "US")
      refute_includes generated.inspect, "PRIVATE KEY"
      created = client.client_certificates.create(zone_id: zone, csr: generated.csr_pem, validity_days: 30)
      assert_equal "active", created.status
      assert_equal %w[rb.example.com Example\ Inc US], [created.common_name, created.organization, created.country]
      assert_kind_of Time, created.issued_on
      assert_equal 30 * 86_400, created.expires_on - created.issued_on
      assert created.frozen?
      assert_raises(FrozenError) { created.raw["status"] = "revoked" }
      Dir.mktmpdir do |dir|
        File.write("#{dir}/ca.pem", control("GET", "/ca.pem"))
        File.write("#{dir}/cert.pem", "#{created.certificate}\n")
        out, status = Open3.capture2e("openssl", "verify", "-CAfile", "#{dir}/ca.pem", "#{dir}/cert.pem")
        assert status.success?, out
      end
      assert_equal created, client.client_certificates.get(created.id, zone_id: zone)
      assert_equal "pending_revocation", client.client_certificates.revoke(created.id, zone_id: zone).status
      assert_equal "pending_reactivation", client.client_certificates.reactivate(created.id, zone_id: zone).status
    end
  end

  def test_rsa_csr_is_accepted
    client = new_client
    generated = Cfcerts.generate_csr("rsa.example.com", key_type: "rsa2048")
    assert_equal "rsa2048", Cfcerts.inspect_csr(generated.csr_pem)["key_type"]
    assert_equal "rsa.example.com", client.client_certificates.create(zone_id: new_zone, csr: generated.csr_pem).common_name
  ensure
    client&.close
  end

  def test_listing_150_certificates_lazily
    zone = new_zone
    seed(zone, 150)
    client = new_client
    before = request_count(zone)
    listing = client.client_certificates.each(zone, per_page: 50, prefetch_pages: 0)
    assert_equal before, request_count(zone), "each is lazy: no request before the first certificate"
    assert_equal "seed-1", listing.first.common_name
    certificates = client.client_certificates.each(zone).to_a
    assert_equal 150, certificates.map(&:id).uniq.size
    count = 0
    assert_nil(client.client_certificates.each(zone, status: "active") { count += 1 })
    assert_equal 150, count
  ensure
    client&.close
  end

  def test_list_page
    zone = new_zone
    seed(zone, 12)
    client = new_client
    page = client.client_certificates.list_page(zone, page: 3, per_page: 5)
    assert_equal 2, page.count
    assert_equal [3, 12, 3], [page.result_info.page, page.result_info.total_count, page.result_info.total_pages]
  ensure
    client&.close
  end

  def test_environment_credentials_and_closed_client
    zone = new_zone
    seed(zone, 6)
    ENV["CLOUDFLARE_API_TOKEN"] = TOKEN
    ENV["CLOUDFLARE_BASE_URL"] = base_url
    client = Cfcerts::Client.new
    listing = client.client_certificates.each(zone, per_page: 5)
    client.close
    client.close
    assert_raises(Cfcerts::InvalidArgument) { client.client_certificates.list_page(zone) }
    assert_equal 6, listing.to_a.size
  ensure
    ENV.delete("CLOUDFLARE_API_TOKEN")
    ENV.delete("CLOUDFLARE_BASE_URL")
  end

  def test_ten_thousand_calls_keep_memory_flat
    zone = new_zone
    seed(zone, 6)
    client = new_client
    created = client.client_certificates.create(zone_id: zone, csr: Cfcerts.generate_csr("memory.example.com").csr_pem)
    round = lambda do |index|
      case index % 4
      when 0 then client.client_certificates.get(created.id, zone_id: zone)
      when 1 then client.client_certificates.list_page(zone, per_page: 5)
      when 2
        begin
          client.client_certificates.get("missing", zone_id: zone)
        rescue Cfcerts::NotFound
          nil
        end
      else assert_equal 7, client.client_certificates.each(zone, per_page: 5).count
      end
    end
    1000.times(&round)
    GC.start
    warm = malloc_in_use_bytes
    10_000.times(&round)
    GC.start
    growth = malloc_in_use_bytes - warm
    assert_operator growth, :<, 2 * 1024 * 1024, "the C heap grew by #{growth / 1e6} MB over 10,000 calls"
  ensure
    client&.close
  end
end
