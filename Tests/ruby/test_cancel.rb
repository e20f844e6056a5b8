# frozen_string_literal: true

require_relative "helper"
require "socket"
require "timeout"

# Ending a call in flight from Ruby: Timeout.timeout, Thread#raise and Thread#kill end it within 200 ms, and the
# client works afterwards.
class CancelTest < Minitest::Test
  include EmulatorHelper

  def setup
    @silent = TCPServer.new("127.0.0.1", 0) # accepts through the backlog, never answers
    @blocked = Cfcerts::Client.new(api_token: "t", base_url: "http://127.0.0.1:#{@silent.addr[1]}/client/v4")
  end

  def teardown
    @blocked.close
    @silent.close
    super
  end

  def blocked_call = @blocked.client_certificates.get("c" * 32, zone_id: "0" * 32)

  def test_timeout_ends_the_call
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(Timeout::Error) { Timeout.timeout(0.2) { blocked_call } }
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    assert_operator elapsed, :<, 0.4
    client = new_client
    assert_equal [], client.client_certificates.list_page(new_zone).result
    client.close
    assert_raises(Timeout::Error) { Timeout.timeout(0.2) { blocked_call } } # still usable, ends again
  end

  def test_thread_raise_and_kill_end_the_call
    %i[raise kill].each do |how|
      thread = Thread.new do
        blocked_call
      rescue RuntimeError => e
        e
      end
      sleep 0.3
      sent = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      how == :raise ? thread.raise("stop") : thread.kill
      assert thread.join(5), "#{how}: the call did not end"
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - sent, :<, 0.2, how
      assert_equal "stop", thread.value.message if how == :raise
    end
  end
end
