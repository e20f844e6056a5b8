# frozen_string_literal: true

require_relative "helper"

# The pacing keyword reads the core's one REQUESTS/SECONDS syntax: its bounds and its message, as in every face.
class PacingTest < Minitest::Test
  include EmulatorHelper

  PACING_RULE = 'pacing must be "off" or REQUESTS/SECONDS with 1 to 1000000000 requests per 1 to 86400 seconds'

  def test_refused_with_the_core_message
    ["0/10", "5/86401", "+5/10", "\u0665/10", "5/ 10", "sometimes", [0, 10], [5, 86_401], [-1, 5], [10**30, 5]].each do |bad|
      error = assert_raises(Cfcerts::InvalidArgument, bad.inspect) { new_client(pacing: bad) }
      assert_includes error.message, PACING_RULE, bad.inspect
    end
  end

  def test_accepted
    zone = new_zone
    ["off", "1000000000/86400", [1, 1]].each do |good|
      client = new_client(pacing: good)
      assert_equal [], client.client_certificates.list_page(zone).result
      client.close
    end
  end
end
