# frozen_string_literal: true

# The Ruby suite's fixtures: the emulator scripts/run-binding-tests.sh started (CFCERTS_TEST_BASE_URL) and its
# test controls. Run: ruby -Ibindings/ruby/lib -ITests/ruby -e 'Dir["Tests/ruby/test_*.rb"].each { |f| require "./#{f}" }'
require "minitest/autorun"
require "json"
require "net/http"
require "securerandom"
require "cfcerts"
require "ffi"

# glibc's allocator statistics (mallinfo2 is in glibc 2.33 and later).
module GlibcMalloc
  extend FFI::Library
  ffi_lib FFI::Library::LIBC

  class MallInfo2 < FFI::Struct
    layout(*%i[arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost].flat_map { [_1, :size_t] })
  end

  attach_function :mallinfo2, [], MallInfo2.by_value
end

module EmulatorHelper
  TOKEN = "cfcerts-emulator-token"
  CERTIFICATES = "/client/v4/zones/*/client_certificates/*"

  def base_url
    ENV.fetch("CFCERTS_TEST_BASE_URL") { flunk "CFCERTS_TEST_BASE_URL must name the emulator" }
  end

  def control(method, path, body = nil)
    uri = URI(base_url.delete_suffix("/client/v4") + "/__emulator" + path)
    request = Net::HTTP.const_get(method.capitalize).new(uri)
    request.body = JSON.generate(body) if body
    request["Content-Type"] = "application/json"
    response = Net::HTTP.start(uri.host, uri.port) { |http| http.request(request) }
    raise "control #{method} #{path}: #{response.code} #{response.body}" unless response.code.start_with?("2")

    response.body.start_with?("{") ? JSON.parse(response.body) : response.body
  end

  def seed(zone, count) = control("POST", "/zones/#{zone}/seed", { count: count, common_name_prefix: "seed" })

  def fault(**fault) = control("POST", "/faults", fault)

  # Requests in the emulator's log; with zone, only that zone's (an earlier test's delayed request is logged
  # whenever it ends).
  def request_count(zone = "") = control("GET", "/requests")["requests"].count { |entry| entry["path"].include?(zone) }

  def new_zone = SecureRandom.hex(16)

  # Bytes malloc has handed out and not had back, in every arena and in its own mappings (glibc's mallinfo2). A
  # leak shows here; the resident set also moves with what the allocator keeps cached per thread, which is not one.
  def malloc_in_use_bytes
    info = GlibcMalloc.mallinfo2
    info[:uordblks] + info[:hblkhd]
  end

  def new_client(**options) = Cfcerts::Client.new(api_token: TOKEN, base_url: base_url, **options)

  def teardown
    control("DELETE", "/faults")
    super
  end
end
