# frozen_string_literal: true

require_relative "helper"

# client.certificate_authorities.hostname_associations under the official SDKs' names.
class HostnameAssociationsTest < Minitest::Test
  include EmulatorHelper

  BYO = "b2134436-2555-4acf-be5b-26c48136575e"

  def setup
    @client = new_client
    @zone = new_zone
    @associations = @client.certificate_authorities.hostname_associations
  end

  def teardown
    @client.close
    super
  end

  def test_get_update_add_remove
    assert_equal [], @associations.get(zone_id: @zone).hostnames
    assert_equal %w[a.example.com b.example.com],
                 @associations.update(zone_id: @zone, hostnames: %w[a.example.com b.example.com]).hostnames
    assert_equal %w[a.example.com b.example.com c.example.com],
                 @associations.add(zone_id: @zone, hostnames: %w[B.example.com c.example.com]).hostnames
    assert_equal %w[b.example.com c.example.com],
                 @associations.remove(zone_id: @zone, hostnames: %w[A.EXAMPLE.COM]).hostnames
    assert_equal [], @associations.update(zone_id: @zone, hostnames: []).hostnames
  end

  def test_managed_and_byo_lists_stay_apart
    @associations.update(zone_id: @zone, hostnames: ["managed.example.com"])
    @associations.update(zone_id: @zone, hostnames: ["byo.example.com"], mtls_certificate_id: BYO)
    assert_equal ["managed.example.com"], @associations.get(zone_id: @zone).hostnames
    assert_equal ["byo.example.com"], @associations.get(zone_id: @zone, mtls_certificate_id: BYO).hostnames
  end

  def test_bad_arguments_are_refused_before_any_request
    before = request_count(@zone)
    [{ mtls_certificate_id: "short" }, { hostnames: "a.example.com" }, { hostnames: ["a.example.com", 7] },
     { hostnames: ["not a hostname"] }].each do |bad|
      assert_raises(Cfcerts::InvalidArgument, bad.inspect) do
        @associations.update(zone_id: @zone, **{ hostnames: ["a.example.com"] }.merge(bad))
      end
    end
    assert_equal before, request_count(@zone)
  end
end
