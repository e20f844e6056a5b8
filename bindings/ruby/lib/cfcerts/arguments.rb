# frozen_string_literal: true

require "json"

module Cfcerts
  # Ruby values to the C layer's types. Only what C cannot see is checked here (the C layer checks the rest):
  # a String where a string is expected, valid UTF-8 with no NUL inside (C would cut the string there), and
  # numbers that fit a C int (FFI would refuse them with a RangeError instead of our InvalidArgument).
  module Arguments
    INT_MAX = 2**31 - 1

    module_function

    def text(value, name)
      raise InvalidArgument, "#{name} must be a String, not #{value.class}" unless value.is_a?(String)

      utf8 = value.encoding == Encoding::UTF_8 ? value : value.dup.force_encoding(Encoding::UTF_8)
      raise InvalidArgument, "#{name} is not valid UTF-8" unless utf8.valid_encoding?
      raise InvalidArgument, "#{name} holds a NUL character" if utf8.include?("\0")

      utf8
    end

    def optional_text(value, name)
      value.nil? ? nil : text(value, name)
    end

    # The non-nil entries as a JSON object.
    def json_object(values, name)
      present = values.compact
      present.each { |key, value| text(value, key.to_s) if value.is_a?(String) }
      JSON.generate(present)
    rescue JSON::GeneratorError => e
      raise InvalidArgument, "#{name}: #{e.message}"
    end

    def integer(value, name)
      raise InvalidArgument, "#{name} must be an Integer, not #{value.class}" unless value.is_a?(Integer)

      value
    end

    # Seconds (> 0) as whole milliseconds that fit a C int; nil stays 0 (the library's default).
    def milliseconds(seconds, name)
      return 0 if seconds.nil?
      raise InvalidArgument, "#{name} must be a number of seconds" unless seconds.is_a?(Numeric) && seconds.real?
      raise InvalidArgument, "#{name} must be a positive, finite number of seconds" unless seconds.positive? && seconds.finite?

      value = (seconds * 1000).ceil
      raise InvalidArgument, "#{name} is too long (at most a day)" if value > INT_MAX

      value
    end

    PACING_USAGE = 'pacing must be "off", "REQUESTS/SECONDS" or [requests, seconds]'

    # pacing_requests, pacing_window_seconds of the C options (the library checks the ranges).
    def pacing(pacing)
      return [0, 0] if pacing.nil?
      return [Library::PACING_OFF, 0] if pacing == "off"

      if pacing.is_a?(String)
        raise InvalidArgument, PACING_USAGE unless pacing.match?(%r{\A\d{1,10}/\d{1,10}\z})

        pacing = pacing.split("/").map(&:to_i)
      end
      raise InvalidArgument, PACING_USAGE unless pacing.is_a?(Array) && pacing.size == 2

      requests = integer(pacing[0], "pacing requests")
      seconds = integer(pacing[1], "pacing seconds")
      unless requests.between?(1, INT_MAX) && seconds.between?(1, INT_MAX)
        raise InvalidArgument, "pacing takes 1 to 1000000000 requests per 1 to 86400 seconds"
      end

      [requests, seconds]
    end
  end
end
