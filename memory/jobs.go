package memory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/benchmcp/benchmcp/internal/record"
)

// ErrJobNotFound means no job has the given ID.
var ErrJobNotFound = errors.New("job not found")

// jobNotFound is the error for a missing job id, with how to find the right one.
func jobNotFound(id string) error {
	return fmt.Errorf("job %s: %w (list jobs with list_jobs or `benchmcp jobs list`)", id, ErrJobNotFound)
}

// JobFilter selects jobs. Zero fields do not filter. Limit 0 means no limit.
type JobFilter struct {
	Status record.JobStatus
	Kind   string
	Limit  int
}

func (f JobFilter) match(j *record.Job) bool {
	return (f.Status == "" || j.Status == f.Status) && (f.Kind == "" || j.Kind == f.Kind)
}

// validJobStatus reports whether s is one of the record.JobStatus states.
func validJobStatus(s record.JobStatus) bool {
	switch s {
	case record.JobQueued, record.JobRunning, record.JobWaiting, record.JobCompleted,
		record.JobFailed, record.JobCancelled, record.JobInterrupted:
		return true
	}
	return false
}

// PutJob inserts or replaces a job. An empty j.ID is given a new one, of the
// form j20261202-143652-0001 (UTC creation time, then a counter), so that IDs
// sort in creation order. A zero j.CreatedAt is set to now (UTC) and an empty
// j.Status to queued. A replaced job keeps its place in ListJobs.
func (s *Store) PutJob(j *record.Job) error {
	if err := s.writable("put job"); err != nil {
		return err
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.now().UTC()
	}
	if j.Status == "" {
		j.Status = record.JobQueued
	}
	s.own(j)
	err := s.write(func(tx *bolt.Tx) error {
		if j.ID == "" {
			j.ID = s.newID(tx.Bucket(bucketJobIDs), "j")
		}
		return putJobTx(tx, getJK(tx, j.ID), j)
	})
	if err != nil {
		return fmt.Errorf("put job %s: %w", j.ID, err)
	}
	s.unstored.Delete(j.ID)
	return nil
}

// putJobTx writes j under key jk, or under a new key if jk is nil.
func putJobTx(tx *bolt.Tx, jk []byte, j *record.Job) error {
	if !validJobStatus(j.Status) {
		return fmt.Errorf("status %q is not a job status (%s)", j.Status, record.Names(record.JobStatuses))
	}
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	jobs := tx.Bucket(bucketJobs)
	if jk == nil {
		n, err := jobs.NextSequence()
		if err != nil {
			return err
		}
		jk = u64(n)
		if err := tx.Bucket(bucketJobIDs).Put([]byte(j.ID), jk); err != nil {
			return err
		}
	}
	return jobs.Put(jk, v)
}

// getJK returns a copy of the key of job id, or nil.
func getJK(tx *bolt.Tx, id string) []byte {
	if id == "" {
		return nil
	}
	return bytes.Clone(tx.Bucket(bucketJobIDs).Get([]byte(id)))
}

func loadJobByID(tx *bolt.Tx, id string) (record.Job, []byte, error) {
	var j record.Job
	jk := getJK(tx, id)
	if jk == nil {
		return j, nil, jobNotFound(id)
	}
	v := tx.Bucket(bucketJobs).Get(jk)
	if v == nil {
		return j, nil, fmt.Errorf("job_ids names missing job key %x: %w", jk, jobNotFound(id))
	}
	if err := unmarshal(v, &j); err != nil {
		return j, nil, fmt.Errorf("decode job %s (key %x): %w", id, jk, err)
	}
	return j, jk, nil
}

// GetJob returns one job, or an error wrapping ErrJobNotFound.
func (s *Store) GetJob(id string) (record.Job, error) {
	var j record.Job
	err := s.read(func(tx *bolt.Tx) (err error) {
		j, _, err = loadJobByID(tx, id)
		return err
	})
	if err != nil {
		return record.Job{}, fmt.Errorf("get job: %w", err)
	}
	s.viewJob(&j)
	return j, nil
}

// ListJobs returns the jobs that match f, newest first (the reverse of the
// order they were created in; replacing a job does not move it). It reads
// every job: the queue is expected to hold hundreds, not millions.
func (s *Store) ListJobs(f JobFilter) ([]record.Job, error) {
	var out []record.Job
	err := s.read(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJobs).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var j record.Job
			if err := unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode job key %x: %w", k, err)
			}
			s.viewJob(&j)
			if !f.match(&j) {
				continue
			}
			if out = append(out, j); f.Limit > 0 && len(out) >= f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// UpdateJob reads job id, lets fn change it and stores the result, all in
// one transaction, so that concurrent updates never lose one another's
// changes. An error from fn aborts the update, leaves the job as it was and
// is returned wrapped. fn runs inside the store's write transaction: it must
// be quick and must not call the store. It may not change the job's ID.
// UpdateJob returns the job as stored.
func (s *Store) UpdateJob(id string, fn func(*record.Job) error) (record.Job, error) {
	if err := s.writable("update job " + id); err != nil {
		return record.Job{}, err
	}
	var j record.Job
	err := s.write(func(tx *bolt.Tx) error {
		var (
			jk  []byte
			err error
		)
		if j, jk, err = loadJobByID(tx, id); err != nil {
			return err
		}
		if err := fn(&j); err != nil {
			return err
		}
		if j.ID != id {
			return fmt.Errorf("the update changed the job's ID to %q; a job keeps its ID (put a new job instead)", j.ID)
		}
		s.own(&j)
		return putJobTx(tx, jk, &j)
	})
	if err != nil {
		return record.Job{}, fmt.Errorf("update job %s: %w", id, err)
	}
	s.unstored.Delete(id)
	return j, nil
}

// DeleteJob removes a job, or returns an error wrapping ErrJobNotFound. The
// runs it made are kept.
func (s *Store) DeleteJob(id string) error {
	if err := s.writable("delete job"); err != nil {
		return err
	}
	err := s.write(func(tx *bolt.Tx) error {
		jk := getJK(tx, id)
		if jk == nil {
			return jobNotFound(id)
		}
		if err := tx.Bucket(bucketJobs).Delete(jk); err != nil {
			return err
		}
		return tx.Bucket(bucketJobIDs).Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	return nil
}
