# frozen_string_literal: true

require_relative "helper"

# Every pass over the listing Enumerator is a listing of its own: Enumerable idioms work any number of times, and
# a C iterator is never used after its free nor by two threads at once.
class EnumeratorTest < Minitest::Test
  include EmulatorHelper

  def setup
    @zone = new_zone
    seed(@zone, 30)
    @client = new_client
    @listing = @client.client_certificates.each(@zone, per_page: 5)
  end

  def teardown
    @client.close
    super
  end

  def test_first_then_to_a_then_count_twice
    assert_equal 10, @listing.first(10).size
    assert_equal 30, @listing.to_a.size
    assert_equal 30, @listing.count
    assert_equal 30, @listing.count
    assert_equal 30, @listing.map(&:id).uniq.size
  end

  def test_lazy_and_break
    assert_equal 3, @listing.lazy.select { |c| c.status == "active" }.first(3).size
    seen = 0
    @listing.each do
      seen += 1
      break if seen == 7
    end
    assert_equal 7, seen
    assert_equal 30, @listing.to_a.size
  end

  def test_external_next_peek_rewind
    first = @listing.next
    assert_equal @listing.peek.id, @listing.next.id
    @listing.rewind
    assert_equal first.id, @listing.next.id
    28.times { @listing.next }
    @listing.next
    assert_raises(StopIteration) { @listing.next }
  end

  def test_two_threads_enumerating_the_same_enumerator
    counts = Array.new(4) { Thread.new { @listing.map(&:id).uniq.size } }.map(&:value)
    assert_equal [30] * 4, counts
  end

  def test_garbage_collection_during_a_pass_and_abandoned_passes
    5.times do
      enumerator = @client.client_certificates.each(@zone, per_page: 5)
      enumerator.next # a pass left midway: freed by the GC
    end
    ids = []
    @listing.each_with_index do |certificate, index|
      GC.start if (index % 5).zero?
      ids << certificate.id
    end
    GC.start
    assert_equal 30, ids.uniq.size
  end

  def test_an_error_midway_ends_that_pass_only
    control("POST", "/faults", { kind: "status", status: 400, method: "GET", count: 1, code: 1001 })
    assert_raises(Cfcerts::APIError) { @listing.to_a }
    assert_equal 30, @listing.to_a.size
  end

  def test_deep_answer_is_read_as_the_library_allows
    deep = "[" * 200 + "]" * 200
    body = %({"success":true,"errors":[],"messages":[],"result":{"id":"deep1","status":"active","extra":#{deep}}})
    control("POST", "/faults", { kind: "body", method: "GET", path: CERTIFICATES, body: body })
    certificate = @client.client_certificates.get("deep1", zone_id: @zone)
    assert_equal "deep1", certificate.id
    depth = 0
    value = certificate.raw["extra"]
    while value.is_a?(Array) && !value.empty?
      depth += 1
      value = value.first
    end
    assert_equal 199, depth
  end
end

# Dates and permissions as the other faces report them.
class AnswerTest < Minitest::Test
  include EmulatorHelper

  def test_a_date_without_offset_is_utc_not_local
    body = '{"success":true,"errors":[],"messages":[],"result":{"id":"d1","status":"active",' \
           '"issued_on":"2026-01-02T03:04:05","expires_on":"2027-01-02T03:04:05+02:00"}}'
    fault(kind: "body", method: "GET", path: CERTIFICATES, body: body)
    client = new_client
    certificate = with_zone("Asia/Tokyo") { client.client_certificates.get("d1", zone_id: new_zone) }
    assert_equal Time.utc(2026, 1, 2, 3, 4, 5), certificate.issued_on
    assert_equal Time.utc(2027, 1, 2, 1, 4, 5), certificate.expires_on
  ensure
    client&.close
  end

  def test_read_only_token_is_refused_writes_as_a_permission_error
    zone = new_zone
    seed(zone, 1)
    reader = Cfcerts::Client.new(api_token: "cfcerts-emulator-read-only-token", base_url: base_url, max_retries: 0)
    id = reader.client_certificates.each(zone).first.id
    error = assert_raises(Cfcerts::PermissionDenied) { reader.client_certificates.revoke(id, zone_id: zone) }
    assert_includes error.message, "SSL and Certificates Write"
    assert_equal 403, error.http_status
  ensure
    reader&.close
  end

  private

  def with_zone(zone)
    previous = ENV["TZ"]
    ENV["TZ"] = zone
    yield
  ensure
    ENV["TZ"] = previous
  end
end
