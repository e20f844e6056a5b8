# frozen_string_literal: true

require "minitest/autorun"
require "open3"

# Finding the library: CFCERTS_LIBRARY first, then the gem's copy, then the SONAME; one error naming every place
# tried when none loads. Run in a child process: a loaded library cannot be unloaded.
class LoaderTest < Minitest::Test
  LIB = File.expand_path("../../bindings/ruby/lib", __dir__)

  def load_with(environment)
    Open3.capture3(environment, "ruby", "-I", LIB, "-e", 'require "cfcerts"; print Cfcerts.library_version')
  end

  def test_every_place_tried_is_named_when_none_loads
    _, err, status = load_with("CFCERTS_LIBRARY" => "/nowhere/libcfcerts.so.0", "LD_LIBRARY_PATH" => "")
    refute status.success?
    assert_includes err, "cannot load libcfcerts; tried, in order: /nowhere/libcfcerts.so.0: no such file; "
    assert_includes err, "lib/cfcerts/libcfcerts.so.0: no such file; libcfcerts.so.0: "
    assert_includes err, "set CFCERTS_LIBRARY"
  end

  def test_the_environment_override_loads
    out, err, status = load_with({})
    assert status.success?, err
    assert_match(/\A\d+\.\d+\.\d+\z/, out)
  end
end
