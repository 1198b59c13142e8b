// app::store_archive: the web UI's run_archive over the run stores of one folder (store::reader):
// this run's history beyond the UI's rings, the Runs page and the store downloads. Ids are file
// names found in the folder, nothing else (no path reaches the file system from a request).
// Used from the UI's server thread only (readers are opened and cached there).
#pragma once
#include <ctime>
#include <map>
#include <memory>
#include <string>

#include "store/reader.hpp"
#include "web/archive.hpp"

namespace endure::app {

class store_archive final : public web::run_archive {
 public:
  // folder: the runs listed; current_file: this run's store ("" : none; then it is in no list).
  store_archive(std::string folder, std::string current_file);
  ~store_archive() override;

  std::string current() const override { return current_id_; }
  std::string folder() const override { return folder_; }
  std::vector<web::archived_run> runs() override;
  base::result<web::archive_series> series(const std::string& id, double from_s, double to_s,
                                           size_t max_points, const web::series_options& what) override;
  base::result<stats::snapshot_ptr> totals(const std::string& id) override;
  base::result<std::string> store_bytes(const std::string& id) override;

  // Downloads larger than this are refused with the file's path (the UI's server holds a body in memory).
  static constexpr uint64_t max_download_bytes = 1ULL << 30;

 private:
  base::result<std::string> path_of(const std::string& id) const;
  base::result<store::reader*> open(const std::string& id);

  std::string folder_, current_id_, current_path_;
  std::map<std::string, std::unique_ptr<store::reader>> readers_;  // this run's, and a few others
  struct listed {
    std::time_t mtime = 0;
    uint64_t size = 0;
    web::archived_run run;
  };
  std::map<std::string, listed> listing_;  // finished runs whose file has not changed
  uint64_t downloads_ = 0;
};

}  // namespace endure::app
