# frozen_string_literal: true

module Cfcerts
  VERSION = "0.4.0"
end
