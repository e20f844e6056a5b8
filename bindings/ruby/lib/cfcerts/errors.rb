# frozen_string_literal: true

require "json"

module Cfcerts
  # A cfcerts failure: #code (the C code), #http_status (nil when the server did not answer), #errors
  # (Cloudflare's list of hashes), #ray_id, #retry_after (seconds, nil when the server did not ask),
  # #outcome_unknown? (true when the failed call changes the zone and may have been carried out all the same: its
  # answer was lost or was a 5xx; read the zone before sending it again).
  class Error < StandardError
    CODE = -1
    attr_reader :http_status, :errors, :ray_id, :retry_after

    def initialize(message = nil, http_status: nil, errors: [], ray_id: nil, retry_after: nil, outcome_unknown: false)
      super(message)
      @http_status = http_status
      @errors = errors.freeze
      @ray_id = ray_id
      @retry_after = retry_after
      @outcome_unknown = outcome_unknown
    end

    def outcome_unknown? = @outcome_unknown

    def code
      self.class::CODE
    end
  end

  class APIError < Error; CODE = -1; end
  class InvalidArgument < Error; CODE = -2; end
  class NotFound < Error; CODE = -3; end
  class Authentication < Error; CODE = -4; end
  class PermissionDenied < Error; CODE = -5; end
  class RateLimited < Error; CODE = -6; end
  class Timeout < Error; CODE = -7; end
  class Connection < Error; CODE = -8; end
  class Decode < Error; CODE = -9; end
  class OutOfMemory < Error; CODE = -11; end
  # The call was ended (Timeout.timeout, Thread#raise or #kill reach the caller; this is what the call returned).
  class Cancelled < Error; CODE = -12; end
  # A bulk journal in use by another run (nothing was sent).
  class InUse < Error; CODE = -13; end

  ERROR_CLASSES = [APIError, InvalidArgument, NotFound, Authentication, PermissionDenied, RateLimited, Timeout,
                   Connection, Decode, OutOfMemory, Cancelled, InUse].to_h { |klass| [klass::CODE, klass] }.freeze

  # The exception for `code`, from the calling thread's last error (read at once, on the same thread).
  def self.last_error(code)
    last = Library.cfcerts_error_last
    message = last[:message].to_s
    message = Library.cfcerts_strerror(code) if message.empty?
    errors = begin
      JSON.parse(last[:cloudflare_errors] || "[]")
    rescue JSON::ParserError
      []
    end
    ray = last[:ray_id].to_s
    klass = ERROR_CLASSES.fetch(code, Error)
    klass.new(message.dup.force_encoding(Encoding::UTF_8),
              http_status: last[:http_status].zero? ? nil : last[:http_status],
              errors: errors, ray_id: ray.empty? ? nil : ray,
              retry_after: last[:retry_after_ms].positive? ? last[:retry_after_ms] / 1000.0 : nil,
              outcome_unknown: last[:outcome_unknown] != 0)
  end
end
