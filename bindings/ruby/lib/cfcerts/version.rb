# frozen_string_literal: true

module Cfcerts
  VERSION = "0.3.0"
end
