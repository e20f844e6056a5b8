# frozen_string_literal: true

require_relative "helper"
require "timeout"

# A client inherited through fork (Puma/Unicorn preload_app, Resque): it keeps working in the child, a client made
# in the child works, and the parent is unaffected. The child runs under an alarm: a hang fails the test.
class ForkTest < Minitest::Test
  include EmulatorHelper

  def in_child
    pid = fork do
      Process.kill("KILL", Process.pid) unless begin
        Timeout.timeout(20) { yield }
      rescue StandardError => e
        warn "child failed: #{e.class}: #{e.message}"
        false
      end
      exit!(0)
    end
    _, status = Process.wait2(pid)
    status
  end

  def test_client_used_before_fork_works_in_the_child
    zone = new_zone
    seed(zone, 6)
    client = new_client
    assert_equal 6, client.client_certificates.list_page(zone).result.size
    status = in_child do
      inherited = client.client_certificates.each(zone, per_page: 5).count
      made_here = Cfcerts::Client.open(api_token: TOKEN, base_url: base_url) do |fresh|
        fresh.client_certificates.list_page(zone).result.size
      end
      client.close
      inherited == 6 && made_here == 6
    end
    assert status.success?, status.inspect
    assert_equal 6, client.client_certificates.each(zone).count
  ensure
    client&.close
  end

  def test_fork_while_another_thread_is_in_a_call
    zone = new_zone
    seed(zone, 2)
    client = new_client
    fault(kind: "delay", method: "GET", delay_ms: 1500)
    in_call = Thread.new { client.client_certificates.list_page(zone) }
    sleep 0.3
    status = in_child do
      count = client.client_certificates.list_page(zone).result.size
      client.close # must not wait for the call of a thread the child does not have
      count == 2
    end
    in_call.join
    assert status.success?, status.inspect
  ensure
    client&.close
  end
end
