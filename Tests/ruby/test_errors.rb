# frozen_string_literal: true

require_relative "helper"

class ErrorsTest < Minitest::Test
  include EmulatorHelper

  FAULTS = {
    Cfcerts::NotFound => [{ kind: "status", status: 404, code: 1404 }, 404],
    Cfcerts::PermissionDenied => [{ kind: "status", status: 403, code: 9109 }, 403],
    Cfcerts::APIError => [{ kind: "status", status: 500, code: 1000 }, 500],
    Cfcerts::RateLimited => [{ kind: "rate_limit", retry_after: 7 }, 429],
    Cfcerts::Decode => [{ kind: "truncated" }, 200],
  }.freeze

  def test_each_failure_raises_its_class
    FAULTS.each do |klass, (fault_body, status)|
      fault(path: CERTIFICATES, **fault_body)
      client = new_client(max_retries: 0)
      error = assert_raises(klass) { client.client_certificates.get("0123", zone_id: new_zone) }
      client.close
      assert_kind_of Cfcerts::Error, error
      assert_equal status, error.http_status, klass.name
      refute_nil error.ray_id
      assert_equal fault_body[:code], error.errors.first["code"] if fault_body[:code]
      if klass == Cfcerts::RateLimited
        assert_in_delta 7.0, error.retry_after
      else
        assert_nil error.retry_after
      end
      refute error.outcome_unknown?, klass.name
    end
  end

  def test_authentication_timeout_connection
    client = Cfcerts::Client.new(api_token: "not-a-token", base_url: base_url)
    error = assert_raises(Cfcerts::Authentication) { client.client_certificates.list_page(new_zone) }
    refute_includes error.message, "not-a-token"
    client.close

    fault(kind: "delay", delay_ms: 3000, path: CERTIFICATES)
    client = new_client(timeout: 0.3, max_retries: 0)
    timeout_zone = new_zone
    error = assert_raises(Cfcerts::Timeout) { client.client_certificates.get("0123", zone_id: timeout_zone) }
    refute error.outcome_unknown?, "a read changes nothing"
    # A create whose answer is lost may have been carried out: read the zone before sending it again.
    fault(kind: "delay", method: "POST", delay_ms: 1500, path: "/client/v4/zones/*/client_certificates")
    csr = Cfcerts.generate_csr("lost.example.com").csr_pem
    lost_zone = new_zone
    error = assert_raises(Cfcerts::Timeout) { client.client_certificates.create(zone_id: lost_zone, csr: csr, validity_days: 30) }
    assert error.outcome_unknown?
    client.close
    # The delayed GET and POST are still being served: let them end here, not in a later test's count.
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
    sleep 0.05 while (request_count(lost_zone).zero? || request_count(timeout_zone).zero?) &&
                     Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline

    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close
    client = Cfcerts::Client.new(api_token: TOKEN, base_url: "http://127.0.0.1:#{port}/client/v4", max_retries: 0,
                                 connect_timeout: 0.5)
    error = assert_raises(Cfcerts::Connection) { client.client_certificates.list_page(new_zone) }
    assert_nil error.http_status
    client.close
  end

  def test_bad_arguments_are_refused_before_any_request
    client = new_client
    zone = new_zone
    calls = [
      -> { client.client_certificates.get("..", zone_id: zone) },
      -> { client.client_certificates.get("", zone_id: zone) },
      -> { client.client_certificates.get("abc\0../x", zone_id: zone) },
      -> { client.client_certificates.get("\xff\xfe".b, zone_id: zone) },
      -> { client.client_certificates.get(42, zone_id: zone) },
      -> { client.client_certificates.get("abc", zone_id: nil) },
      -> { client.client_certificates.list_page(zone, per_page: 500) },
      -> { client.client_certificates.list_page(zone, page: 0) },
      -> { client.client_certificates.list_page(zone, per_page: Float::NAN) },
      -> { client.client_certificates.list_page(zone, status: "bogus") },
      -> { client.client_certificates.each(zone, prefetch_pages: 99) },
      -> { client.client_certificates.create(zone_id: zone, csr: "x", validity_days: "365") },
      -> { client.client_certificates.revoke("id", zone_id: "z" * 300) },
      -> { Cfcerts::Client.new(api_token: TOKEN, base_url: base_url, timeout: Float::INFINITY) },
      -> { Cfcerts::Client.new(api_token: TOKEN, base_url: base_url, timeout: 1e30) },
      -> { Cfcerts::Client.new(api_token: TOKEN, base_url: base_url, max_retries: 2**40) },
      -> { Cfcerts::Client.new(api_token: TOKEN, base_url: "http://user:secret@127.0.0.1:1/client/v4") },
      -> { Cfcerts.generate_csr("x", key_type: "dsa") },
    ]
    before = request_count
    calls.each_with_index do |call, index|
      error = assert_raises(Cfcerts::InvalidArgument, "call #{index}") { call.call }
      refute_includes error.message, "secret"
    end
    assert_equal before, request_count
  ensure
    client&.close
  end
end
